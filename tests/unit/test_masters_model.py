"""The shipped linking model (govmesh.services.masters.trained): trained, loaded, refused when it no longer fits."""

import json
import sys
from pathlib import Path

import pytest

from bench import masters_train
from govmesh.services.masters.domain.comparisons import COMPARISONS, default_model
from govmesh.services.masters.domain.records import Kind
from govmesh.services.masters.trained import SHIPPED_MODEL, ModelFileError, load_models, save_models


def test_the_shipped_model_is_trained_and_fits_every_comparison() -> None:
    shipped = load_models()
    assert shipped.version >= 1 and "seed=" in shipped.trained_on
    for kind in Kind:
        model = shipped.models[kind]
        assert model != default_model(kind)  # estimated, not the starting values
        assert set(model.weights) == {spec.field for spec in COMPARISONS[kind]}


def test_a_level_no_training_match_showed_weighs_against_but_is_no_veto() -> None:
    # The training data never writes another industry word for one enterprise; real data does.
    industry = load_models().models[Kind.ENTERPRISE].weights["industry"]
    assert -11 < industry[-1].log2_bayes_factor < 0


def test_a_file_trained_for_other_comparisons_is_refused_with_what_to_do(tmp_path: Path) -> None:
    document = json.loads(SHIPPED_MODEL.read_text(encoding="utf-8"))
    document["models"]["enterprise"]["weights"]["name"].pop()
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"enterprise\.name needs 4 levels .*retrain"):
        load_models(path)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(format=99), "format 99"),
        (lambda d: d["models"].pop("person"), "no model for person"),
        (lambda d: d["models"]["person"].update(probability_two_random_records_match=0), "prior"),
    ],
)
def test_an_unusable_file_is_refused_naming_the_file(tmp_path: Path, change, problem: str) -> None:  # type: ignore[no-untyped-def]
    document = json.loads(SHIPPED_MODEL.read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ModelFileError, match=problem) as refused:
        load_models(path)
    assert str(path) in str(refused.value)


def test_saved_models_load_back_as_they_were(tmp_path: Path) -> None:
    models = {kind: default_model(kind) for kind in Kind}
    save_models(tmp_path / "model.json", models, 7, "by hand")
    loaded = load_models(tmp_path / "model.json")
    assert (loaded.version, loaded.trained_on, dict(loaded.models)) == (7, "by hand", models)


def test_retraining_writes_the_next_version_of_a_file_the_service_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "model.json"
    save_models(out, {kind: default_model(kind) for kind in Kind}, 3, "by hand")
    monkeypatch.setattr(sys, "argv", ["masters_train", "--entities", "600", "--seed", "11", "--out", str(out)])
    masters_train.main()
    retrained = load_models(out)
    assert retrained.version == 4
    assert "seed=11" in retrained.trained_on
    assert retrained.models[Kind.ENTERPRISE] != default_model(Kind.ENTERPRISE)
