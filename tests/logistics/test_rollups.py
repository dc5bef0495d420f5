"""Rollups equal the village rows after every kind of change."""

from desk.scope import Scope
from logistics import services
from logistics.management.commands.logistics_rollups import compute_drift
from logistics.models import AreaRollup, Delivery, DeliveryEvent, Item, ItemRollup, Village
from tests.logistics.conftest import complete_rows

NATION = Scope(True, ())


def test_required_ballots_are_dpt_plus_reserve_per_tps():
    item = Item(basis=Item.Basis.BALLOTS_GOVERNOR, factor=1, reserve_percent=2.5)
    # 3 TPS of 200, 200, 199 voters: 205 + 205 + 204.
    assert item.required_for(tps=3, dpt_governor=599, dpt_local=0) == 614
    boxes = Item(basis=Item.Basis.PER_TPS, factor=2)
    assert boxes.required_for(tps=3, dpt_governor=599, dpt_local=0) == 6


def test_setting_counts_creates_deliveries_and_rollups(mahulu):
    items = Item.objects.filter(is_active=True).count()
    assert Delivery.objects.filter(village_id__in=mahulu).count() == len(mahulu) * items
    area = AreaRollup.objects.get(region_id="64.11")
    assert area.desa_count == len(mahulu) and area.desa_complete == 0
    assert AreaRollup.objects.get(region_id="64").desa_count == len(mahulu)
    ballots = ItemRollup.objects.get(region_id="64", item__code="surat-suara-gubernur")
    assert ballots.required == len(mahulu) * 2 * 257  # 250 + 2.5 % per TPS, rounded up
    assert compute_drift() == []


def test_complete_delivery_turns_desa_and_areas_complete(mahulu, kaltim_logistik):
    rows = complete_rows(mahulu)
    result = services.deliveries_update(rows, user=kaltim_logistik, scope=NATION, source="api")
    assert result.changed == len(rows)
    assert Village.objects.filter(pk__in=mahulu, complete=True).count() == len(mahulu)
    assert AreaRollup.objects.get(region_id="64.11").desa_complete == len(mahulu)
    assert DeliveryEvent.objects.count() == len(rows)
    # The same rows again: idempotent, no history.
    again = services.deliveries_update(rows, user=kaltim_logistik, scope=NATION, source="api")
    assert again.changed == 0
    assert DeliveryEvent.objects.count() == len(rows)
    assert compute_drift() == []


def test_damaged_items_keep_desa_incomplete(mahulu, kaltim_logistik):
    rows = complete_rows(mahulu[:1])
    line, desa, item, stage, sent, received, _damaged, reason = rows[0]
    rows[0] = (line, desa, item, stage, sent, received, 3, reason)
    services.deliveries_update(rows, user=kaltim_logistik, scope=NATION, source="form")
    assert not Village.objects.get(pk=desa).complete
    assert ItemRollup.objects.get(region_id="64.11", item__code=item).damaged == 3


def test_stage_moves_back_only_with_a_reason(mahulu, kaltim_logistik):
    services.deliveries_update(
        complete_rows(mahulu[:1]), user=kaltim_logistik, scope=NATION, source="form"
    )
    assert Village.objects.get(pk=mahulu[0]).complete
    back = [(1, mahulu[0], "tinta", 2, 4, 4, 0, "")]
    try:
        services.deliveries_update(back, user=kaltim_logistik, scope=NATION, source="form")
    except services.RowsRejected as exc:
        assert "mundur" in exc.rows[0].message
    else:
        raise AssertionError("moved back without a reason")
    back = [(1, mahulu[0], "tinta", 2, 4, 4, 0, "salah input, masih di PPK")]
    services.deliveries_update(back, user=kaltim_logistik, scope=NATION, source="form")
    event = DeliveryEvent.objects.filter(delivery__village_id=mahulu[0]).first()
    assert (event.stage_before, event.stage_after, event.reason) == (
        4,
        2,
        "salah input, masih di PPK",
    )
    assert not Village.objects.get(pk=mahulu[0]).complete
    assert compute_drift() == []


def test_a_missing_item_rollup_is_summed_again(mahulu, kaltim_logistik):
    """A write moves the kecamatan item rollups by what it changed; a rollup
    row that is not there cannot be moved, so the kecamatan is summed again
    from its delivery rows."""
    ItemRollup.objects.filter(region_id=mahulu[0][:8], item__code="tinta").delete()
    assert compute_drift() != []
    rows = complete_rows(mahulu[:1])
    services.deliveries_update(rows, user=kaltim_logistik, scope=NATION, source="api")
    assert ItemRollup.objects.get(region_id=mahulu[0][:8], item__code="tinta").sent > 0
    assert compute_drift() == []


def test_drift_is_reported_and_fixed(mahulu):
    AreaRollup.objects.filter(region_id="64.11").update(desa_complete=7)
    drift = compute_drift()
    assert any(d[0] == "64.11" for d in drift)
    compute_drift(fix=True)
    assert compute_drift() == []


def test_an_item_added_then_taken_out_of_use_stops_holding_desa_back(mahulu, kaltim_logistik):
    services.deliveries_update(
        complete_rows(mahulu), user=kaltim_logistik, scope=NATION, source="api"
    )
    assert AreaRollup.objects.get(region_id="64.11").desa_complete == len(mahulu)
    # Saved in the admin: ItemAdmin.save_model calls item_refresh_required.
    lamp = Item.objects.create(
        code="lampu", name="Lampu TPS", unit="buah", basis=Item.Basis.PER_TPS, factor=1
    )
    services.item_refresh_required(lamp)
    assert AreaRollup.objects.get(region_id="64.11").desa_complete == 0
    lamp.is_active = False
    lamp.save()
    services.item_refresh_required(lamp)
    assert AreaRollup.objects.get(region_id="64.11").desa_complete == len(mahulu)
    assert Village.objects.filter(pk__in=mahulu, complete=False).count() == 0
    assert compute_drift() == []
