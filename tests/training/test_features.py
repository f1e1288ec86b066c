"""The evaluation-feature cache of fixed front ends: the features equal the model's own, are computed
only for images not seen before with the same bank, follow the order asked for, and are never shared
between different banks or normalisations; beyond the budget the bank asked for least often leaves."""

import torch

from parametricSN.models import build_model
from parametricSN.training.features import FeatureCache, has_fixed_front_end


def model(learnable=False, init="tight-frame", seed=0):
    cfg = {"general": {"seed": seed}, "model": {"name": "linear_layer"},
           "scattering": {"J": 2, "L": 4, "learnable": learnable, "init_params": init}}
    return build_model(cfg, 3, 10, (16, 16)).eval()


def images(n, seed=0):
    return torch.randint(0, 256, (n, 3, 16, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


def prepare(u8):
    return (u8.float() / 255 - 0.5) / 0.25


def test_only_fixed_front_ends_qualify():
    assert has_fixed_front_end(model(learnable=False))
    assert not has_fixed_front_end(model(learnable=True))


def test_features_equal_the_models_and_are_reused_bitwise():
    net, x = model(), images(37)
    cache = FeatureCache()
    first = cache.features(net, x, prepare, batch_size=16, prepare_tag="n")
    with torch.no_grad():
        expected = torch.cat([net.features(prepare(x[i:i + 16])) for i in range(0, 37, 16)])
    assert torch.equal(first, expected) and cache.computed_images == 37
    assert cache.features(net, x, prepare, batch_size=16, prepare_tag="n") is first   # nothing recomputed
    assert cache.computed_images == 37


def test_overlapping_image_sets_compute_only_the_new_images_in_the_order_asked():
    net, x, extra = model(), images(30), images(5, seed=1)
    cache = FeatureCache()
    cache.features(net, x, prepare, batch_size=8, prepare_tag="n")
    order = torch.randperm(30, generator=torch.Generator().manual_seed(2))[:20]
    mixed = torch.cat([x[order], extra])
    got = cache.features(net, mixed, prepare, batch_size=8, prepare_tag="n")
    assert cache.computed_images == 35                       # only the 5 new images
    with torch.no_grad():
        assert torch.equal(got, net.features(prepare(mixed)))


def test_banks_and_normalisations_never_share_features():
    x = images(6)
    cache = FeatureCache()
    a = cache.features(model(init="random", seed=1), x, prepare, batch_size=6, prepare_tag="n")
    b = cache.features(model(init="random", seed=2), x, prepare, batch_size=6, prepare_tag="n")
    c = cache.features(model(init="random", seed=1), x, lambda u: prepare(u) * 2, batch_size=6, prepare_tag="n*2")
    assert cache.computed_images == 18
    assert not torch.equal(a, b) and not torch.equal(a, c)


def test_beyond_the_budget_the_bank_asked_for_least_often_leaves_and_among_equals_the_latest():
    x = images(4)
    tight, first, second = model(), model(init="random", seed=1), model(init="random", seed=2)
    one_entry = tight.features(prepare(x)).numel() * 4
    cache = FeatureCache(budget_bytes=one_entry)
    # the published sweep's order: a new random bank between two uses of the tight-frame bank
    for net in (tight, first, tight, second, tight):
        cache.features(net, x, prepare, batch_size=4, prepare_tag="n")
    assert cache.computed_images == 3 * 4               # tight-frame once (least-recently-used: 5 × 4)
    assert cache.held() == one_entry
    cache.features(first, x, prepare, batch_size=4, prepare_tag="n")     # 2nd request: tight (3) stays
    assert cache.computed_images == 4 * 4
    cache.features(first, x, prepare, batch_size=4, prepare_tag="n")     # 3rd: as often, tight stays
    cache.features(first, x, prepare, batch_size=4, prepare_tag="n")     # 4th: more often, replaces it
    assert cache.computed_images == 6 * 4
    cache.features(first, x, prepare, batch_size=4, prepare_tag="n")
    assert cache.computed_images == 6 * 4


def test_features_larger_than_the_budget_are_returned_but_not_held():
    net, x = model(), images(4)
    cache = FeatureCache(budget_bytes=1)
    first = cache.features(net, x, prepare, batch_size=4, prepare_tag="n")
    assert cache.held() == 0 and cache.computed_images == 4
    with torch.no_grad():
        assert torch.equal(first, net.features(prepare(x)))


def test_a_fixed_bank_run_gives_the_same_numbers_with_and_without_cached_features(tiny_cfg, client, monkeypatch):
    import parametricSN.training.features as features
    from parametricSN.run import run_training

    cfg = tiny_cfg(scattering={"J": 1, "L": 2, "learnable": False}, model={"epoch": 3, "step_test": 1})
    features.FEATURE_CACHE.clear()
    start = features.FEATURE_CACHE.computed_images
    cached = run_training(cfg, progress=False, figures=False)
    again = run_training(cfg, progress=False, figures=False)            # takes them from the cache
    assert features.FEATURE_CACHE.computed_images - start == 20
    monkeypatch.setattr(features, "has_fixed_front_end", lambda model: False)
    plain = run_training(cfg, progress=False, figures=False)

    def history(run_id, name):
        return sorted((m.step, m.value) for m in client.get_metric_history(run_id, name))

    for name in ("test_loss", "test_acc", "train_loss", "train_acc"):
        assert history(cached.run_id, name) == history(plain.run_id, name) == history(again.run_id, name)
    assert len(history(cached.run_id, "test_acc")) == 3
