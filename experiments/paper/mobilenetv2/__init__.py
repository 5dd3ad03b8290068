"""MobileNetV2 end to end on the heterogeneous cluster (paper Sec. VI). Why these choices:
docs/mobilenetv2.md. One module per stage:

    network.py   configuration, ops and tensor shapes, Tile&Pack placement, lowering
    model.py     synthetic weights and inputs, calibration, the numpy golden model
    memory.py    the L1 memory plan
    header.py    the firmware's generated tables and data (mn_net.h, mn_data.S, crossbars)
    build.py     generated files, platform files, linker script, compile (cached)
    run.py       run on the simulator, per-op cycles and energy, bit-exact checks
    report.py    figures for the report (Fig. 12 table, DW timing models, IMA use), the
                 paper's figures

    conv0 3x3/2 (IMA, im2col)  -> 17 bottlenecks: expand 1x1 (IMA) -> depth-wise 3x3 (DW
    accelerator) -> project 1x1 (IMA) [-> residual add (cores)] -> last 1x1 320->1280 (IMA)
    -> global average pool (cores) -> classifier 1280->1000 (cores, weights DMA'd from L2)

Arithmetic (the bottleneck's rules, experiments/paper/bottleneck.py):
  IMA layer, one row tile:   y = adc(acc; 0, R) (ReLU) or adc(acc; R, R) (linear)
  IMA layer, T > 1 row tiles (inputs > 256 rows): each tile t gives p_t = adc(acc_t; R, R)
      (the ADC of its partial sum, same step as the unsplit linear layer), and
      y = clip(sum_t p_t, 0 or -64, 64), added by the IMA's digital output stage in one
      trigger per column tile (psum="ima", the default: docs/ima.md, "Partial-sum
      accumulation") or by the cores from T partial outputs (psum="cores")
  depth-wise:   clip(relu(acc) >> S, -128, 127)   (DW accelerator, pad 1)
  residual:     clip8((x * m1 + y * m2) >> d) (PULP-NN's requantizing add, the default) or
                sat8(x + y) (the 4-lane saturating add, add="sat");
  pool: (sum + n/2) // n;  classifier: int32 logits
Ranges R and shifts S: 3 standard deviations of each layer's sums on this data; the
residual's m1, m2, d from the scales of its two inputs and of its output (`add_params`).

Networks: "paper" (the default: the variant of the paper's Fig. 12, with a 32 -> 32
pointwise layer before the first depth-wise) and "torchvision" (Sandler et al.'s Table 2 as
torchvision builds it: the first block has no expansion layer).
"""
