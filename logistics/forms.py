from django import forms
from django.utils.translation import gettext_lazy as _

from logistics.models import Item, Problem, contests_held, counts_problem


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Berkas CSV atau XLSX"),
        help_text=_(
            "Kolom: kode_desa;barang;tahap;dikirim;diterima;rusak;alasan. "
            "Semua baris diperiksa; bila ada satu saja yang salah, tidak ada yang disimpan."
        ),
    )


class CountsImportForm(forms.Form):
    file = forms.FileField(
        label=_("Berkas CSV atau XLSX"),
        help_text=_(
            "Kolom: kode_desa;tps;dpt_gubernur;dpt_bupati. Paling banyak 10.000 desa; "
            "bila ada satu saja yang salah, tidak ada yang disimpan."
        ),
    )


class CountsForm(forms.Form):
    tps = forms.IntegerField(label=_("Jumlah TPS"), min_value=0, max_value=1000)
    dpt_governor = forms.IntegerField(
        label=_("DPT pemilihan gubernur"), min_value=0, max_value=1000 * 800
    )
    dpt_local = forms.IntegerField(
        label=_("DPT pemilihan bupati/wali kota"), min_value=0, max_value=1000 * 800
    )

    def __init__(self, *args, code: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.code = code

    def clean(self):
        data = super().clean()
        held = contests_held([self.code]).get(self.code)
        problem = counts_problem(
            data.get("tps"), data.get("dpt_governor"), data.get("dpt_local"), held
        )
        if problem:
            raise forms.ValidationError(str(problem))
        return data


class ProblemForm(forms.ModelForm):
    class Meta:
        model = Problem
        fields = ["kind", "item", "quantity", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = Item.objects.filter(is_active=True)


class ProblemStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status baru"), choices=Problem.Status.choices)
    note = forms.CharField(
        label=_("Catatan / penyelesaian"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
