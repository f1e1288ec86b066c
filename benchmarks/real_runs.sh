#!/usr/bin/env bash
# The long real-image runs of benchmarks/RESULTS-real-cifar.md ("The wide-ResNet track") and
# benchmarks/RESULTS-real-kth.md, in the order they are filled in. Rerunning it resumes every stopped
# run from its checkpoint and skips the FINISHED ones, so it is the command to run again after any stop.
#
#   CIFAR=DIR KTH=DIR STORE=URI bash benchmarks/real_runs.sh
#
#   CIFAR  folder holding cifar10/ (the lossless PNG copy: ../shared/data/README.md)
#   KTH    folder holding KTH-TIPS2-b/ (../shared/data/README.md)
#   STORE  MLflow store, e.g. sqlite:////abs/runs/store.db (checkpoints go to <its folder>/checkpoints)
#   PY     python (default: python)
#
# 1. one run at a time on both cores: KTH sample d, TF S+LL then TF LS+LL;
# 2. two runs side by side, one thread each: TF LS+WRN and TF S+WRN of the first 2 competition seeds;
# 3. KTH samples c, b, a (TF S+LL and TF LS+LL), one at a time on both cores.
set -u
: "${CIFAR:?set CIFAR}" "${KTH:?set KTH}" "${STORE:?set STORE}"
PY=${PY:-python}
cd "$(dirname "$0")/.."
WRN=(competition/cifar-10_100sample.py --num-seeds 2 --data-root "$CIFAR" --tracking-uri "$STORE"
     --set dataset.evaluate_on=validation --set model.step_test=1000 --set general.cores=1)
KTH_LL=(experiments/kth/ll_kth_sample-experiment.py --seeds 1390666426 --data-root "$KTH" --tracking-uri "$STORE"
        --set scattering.init_params=tight-frame --set general.cores=2)

"$PY" "${KTH_LL[@]}" --set dataset.sample=d --set scattering.learnable=false || exit
"$PY" "${KTH_LL[@]}" --set dataset.sample=d --set scattering.learnable=true || exit
"$PY" "${WRN[@]}" &
"$PY" "${WRN[@]}" --set scattering.learnable=false &
wait
for sample in c b a; do
  "$PY" "${KTH_LL[@]}" --set dataset.sample=$sample || exit
done
