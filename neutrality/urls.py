app_name = "neutrality"

urlpatterns: list = []
