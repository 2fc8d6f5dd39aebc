#!/usr/bin/env bash
# Compiles charrnn_trt.cpp against one or more TensorRT include folders WITHOUT CUDA or TensorRT libraries installed:
# TensorRT's headers only need the CUDA stream/event types from cuda_runtime_api.h, so a stub that declares just those
# is generated (it is not CUDA's header and is used for nothing else). Each folder gets a full -c compile with
# warnings as errors; the last object is also linked into $OUT_DIR/libcharrnn_trt.so with TensorRT's three C entry
# points (createInferBuilder_INTERNAL, createInferRuntime_INTERNAL, getInferLibVersion) left unresolved and lazy
# binding, which loads without TensorRT for the shim ABI tests (CHARRNN_TRT_SHIM_PATH) but must not be shipped.
#   [CXX=clang++] native/compile-check.sh third_party/trt-v10.0.0/include third_party/trt-v10.16/include
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT_DIR:-$(mktemp -d)}
mkdir -p "$out/cuda-stub"
cat > "$out/cuda-stub/cuda_runtime_api.h" <<'STUB'
/* Compile-check stub, NOT CUDA's header: only the types TensorRT's headers mention. */
#pragma once
typedef struct CUstream_st* cudaStream_t;
typedef struct CUevent_st* cudaEvent_t;
STUB
[ $# -gt 0 ] || { echo "usage: $0 TENSORRT_INCLUDE_DIR..." >&2; exit 2; }
for include in "$@"; do
    version=$(sed -n 's/^#define \(NV_TENSORRT_\|TRT_\)\(MAJOR\|MINOR\|PATCH\)\(_ENTERPRISE\)\? \([0-9]\+\).*/\4/p' "$include/NvInferVersion.h" | head -3 | paste -sd.)
    "${CXX:-g++}" -std=c++17 -O2 -fPIC -fvisibility=hidden -Wall -Wextra -Wpedantic -Werror \
        -isystem "$include" -isystem "$out/cuda-stub" -c "$here/charrnn_trt.cpp" -o "$out/charrnn_trt.o"
    echo "compiled against TensorRT $version headers ($include)"
done
"${CXX:-g++}" -shared -Wl,-z,lazy -o "$out/libcharrnn_trt.so" "$out/charrnn_trt.o"
echo "unresolved TensorRT symbols (bound at run time):" $(nm -u "$out/libcharrnn_trt.so" | awk '/Infer/ {print $2}')
echo "exports: $(nm -D --defined-only "$out/libcharrnn_trt.so" | grep -c ' T charrnn_trt_')"
echo "shim for the ABI tests: $out/libcharrnn_trt.so"
