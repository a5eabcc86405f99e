// A HydraHead layer: 8 query heads over 2 kv heads (GQA), one full
// (softmax, causal) head and seven linear heads with the gated delta rule
// (decay per head), fused by the scale-normalized merge.
//
//   hydra-opt examples/hybrid_7to1.mlir --hydra-to-llvm
//
// lowers it to the LLVM dialect; scripts/run-example.sh compiles it for
// this CPU, runs it and checks it against a float64 reference.

func.func @hybrid_layer(%q: tensor<1x8x256x64xf32>, %k: tensor<1x2x256x64xf32>,
                        %v: tensor<1x2x256x64xf32>, %fusion_scale: tensor<8x64xf32>,
                        %decay: tensor<1x2x256xf32>, %beta: tensor<1x2x256xf32>)
    -> tensor<1x8x256x64xf32> {
  %y = hydra.hybrid_attention %q, %k, %v
         fusion_scale(%fusion_scale : tensor<8x64xf32>)
         decay(%decay : tensor<1x2x256xf32>)
         beta(%beta : tensor<1x2x256xf32>)
         {heads = #hydra.heads<"FLLLLLLL">, causal,
          update_rule = #hydra.update_rule<gated_delta>}
       : tensor<1x8x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>
      -> tensor<1x8x256x64xf32>
  return %y : tensor<1x8x256x64xf32>
}
