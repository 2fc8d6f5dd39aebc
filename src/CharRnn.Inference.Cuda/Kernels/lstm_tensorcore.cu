// Tensor-core variant of the many-stream path, opted into with CudaPrecision.Tf32, Float16 or BFloat16. CudaInferenceEngine
// appends this file to lstm_persistent.cu before NVRTC compiles them as one unit: it uses that file's GemmParams,
// sigmoidf_, FULL_MASK and i64. Needs sm_80 or newer (cp.async, mma.sync with tf32/f16/bf16 operands); the host compiles
// it only there. TC_OPERAND picks the operands' type for the whole unit: 0 TF32 (float32 in memory), 1 FP16, 2 BF16
// (16-bit in memory: the host stores W so, and the LSTM epilogue writes each new h narrowed, into GemmParams.out16,
// which the next products read; no float32 h is kept). In TF32 each new h is written rounded to TF32 (tc_round_tf32).
//
// gates[B][np] = base + [x | h] W^T as warp-level mma.sync products with float32 accumulation (m16n8k8 for TF32,
// m16n8k16 for 16-bit operands): A = [x | h] (streams x K, row-major), B = W's permuted rows (np x kp, one row per gate
// column, i.e. "col" for the mma). Operands are rounded once, when written: for TF32 the host stores W already rounded
// to TF32 (BatchWeights, round to nearest, ties away) and every epilogue writes h rounded the same way
// (tc_round_tf32), so that the tensor cores, which read only the top 19 bits of a .tf32 operand, read exact TF32
// values; 16-bit operands are rounded to nearest even. Tiles of K are copied global -> shared with cp.async into a
// STAGES-deep ring, so the copies of the next tiles overlap the products of this one. Every output is one warp's
// accumulation over K in a fixed order: results do not depend on the batch, the tile or timing.
//
// A K tile row is KB bytes (16 floats or 32 halves for KB = 64), and one mma consumes 32 bytes of K in either type, so
// the shared-memory geometry below is the same for every operand type. Fragments are read from shared memory in one of
// two ways (both give the same products in the same order: measured bit for bit equal). LDSM: ldmatrix.x4, the only
// way for 16-bit operands. An 8 x 8 b16 matrix is eight 16-byte rows; ldmatrix gives lane l the 32-bit pair
// (l / 4, l % 4) of it. For 16-bit operands that is exactly the m16n8k16 fragment (row g, columns 2t and 2t + 1); viewed
// as floats (an 8 x 4 block), it is the TF32 fragment element (row g, column t) of A and (column g, row t) of B. One
// instruction loads a 16 x 32-byte A fragment or the B fragments of two column tiles. Rows are padded by 16 bytes (an odd
// multiple of 16 bytes in all), so a matrix's eight 16-byte rows lie on distinct banks. Fewer instructions: the
// 128 x 128 tile, whose K loop is issue-bound, is 4% faster so in TF32. Otherwise (TF32 only) 64-bit loads: within
// each group of 8 K columns the mma's k index t (t < 4) is fed physical column 2t and index t + 4 physical column
// 2t + 1, the same for both operands, so a lane's two values of a row are adjacent and each fragment pair is one
// 64-bit load. Rows are padded by 32 bytes, which puts the four rows of a half-warp's loads on distinct banks. Lower
// latency: the smaller tiles, whose K loops wait on shared memory, are up to 20% faster so in TF32.
//
// Fused epilogue: with the host's unit-major rows (column 4u + gate), a unit's four gate columns are adjacent. The
// accumulators are staged through shared memory as a pre-activation tile, so that each thread updates cells of one
// unit column from a float4 of gates and the block's c loads and c/h stores are coalesced row runs (the wgmma tiles
// mostly update their cells from the accumulators instead: tc_wgmma_cells). Cell arithmetic is float32 in every mode,
// with approximate transcendentals (TC_FAST_CELLS, below).

#ifndef TC_OPERAND
#define TC_OPERAND 0
#endif
#if TC_OPERAND == 0
typedef float tc_elem;
#elif TC_OPERAND == 1 || TC_OPERAND == 2
typedef unsigned short tc_elem;
#else
#error "TC_OPERAND must be 0 (TF32), 1 (FP16) or 2 (BF16)"
#endif
#define TC_BYTES ((int)sizeof(tc_elem))
#define TC_CHUNK (16 / TC_BYTES)   // elements per 16-byte copy

__device__ __forceinline__ unsigned int tc_smem_address(const void* p)
{
    unsigned int r;
    asm("{ .reg .u64 a; cvta.to.shared.u64 a, %1; cvt.u32.u64 %0, a; }" : "=r"(r) : "l"(p));
    return r;
}

// Copies 16 bytes, or writes 16 zero bytes when !valid (src-size 0: nothing is read).
__device__ __forceinline__ void tc_copy16(unsigned int dst, const void* src, bool valid)
{
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(dst), "l"(src), "r"(valid ? 16 : 0) : "memory");
}

__device__ __forceinline__ void tc_copy4(unsigned int dst, const void* src, bool valid)
{
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;" :: "r"(dst), "l"(src), "r"(valid ? 4 : 0) : "memory");
}

// Programmatic dependent launch (sm_90; the host launches a kernel so only when the one before it in the stream is
// one of these): each kernel lets the next one's blocks start at once, and the next one prefetches its weights, which
// no kernel writes, before it waits for this one to complete. Without such a launch both are no-ops.
__device__ __forceinline__ void tc_launch_dependents()
{
#if __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

__device__ __forceinline__ void tc_wait_previous()
{
#if __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

__device__ __forceinline__ void tc_commit() { asm volatile("cp.async.commit_group;" ::: "memory"); }

template <int N>
__device__ __forceinline__ void tc_wait() { asm volatile("cp.async.wait_group %0;" :: "n"(N) : "memory"); }

__device__ __forceinline__ void tc_ldmatrix4(unsigned int (&r)[4], unsigned int address)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(address));
}

__device__ __forceinline__ void tc_mma(float (&d)[4], const unsigned int (&a)[4], unsigned int b0, unsigned int b1)
{
#if TC_OPERAND == 0
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
#elif TC_OPERAND == 1
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
#else
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
#endif
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// With 16-bit operands the layers keep h only narrowed (GemmParams.out16), and in TF32 only rounded: a state the host
// writes arrives as float32 h and is narrowed (tc_narrow_h) or rounded in place (tc_round_h) here; a 16-bit state the
// host reads is widened, exactly, into a float32 buffer (tc_widen_h). Mirrored by NarrowParams in KernelParameters.cs.
struct NarrowParams
{
    float* h;
    unsigned short* h16;
    long long n;
};

#if TC_OPERAND == 0
// A new h as the products read it: rounded to TF32 (round to nearest, ties away from zero, as BatchWeights rounds W),
// since the wgmma tiles read [x | h] from shared memory as it lies, where the hardware would drop the low 13 bits (a
// truncation). The mma.sync tiles read them as they lie too: rounding once per h written is cheaper than once per
// element in the K loop of every column tile, which they did before (an integer add of 0x1000 to the bits, which also
// carried the canonical NaN 0x7fffffff into the sign bit, where cvt.rna keeps a NaN a NaN). The mask clears the bits
// that cvt.rna leaves unspecified.
__device__ __forceinline__ float tc_round_tf32(float v)
{
    unsigned int r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(v));
    return __uint_as_float(r & 0xFFFFE000u);
}

#if EMITS(GROUP_TENSOR_CORE_PROJECTIONS)
extern "C" __global__ void tc_round_h(const NarrowParams p)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < p.n; i += (long long)gridDim.x * blockDim.x)
    {
        p.h[i] = tc_round_tf32(p.h[i]);
    }
}
#endif
#else
// A float32 to the 16-bit operand type, round to nearest even (as the host rounds W: BatchWeights).
__device__ __forceinline__ unsigned short tc_narrow(float v)
{
    unsigned short r;
#if TC_OPERAND == 1
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(r) : "f"(v));
#else
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(r) : "f"(v));
#endif
    return r;
}

#if EMITS(GROUP_TENSOR_CORE_PROJECTIONS)
extern "C" __global__ void tc_narrow_h(const NarrowParams p)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < p.n; i += (long long)gridDim.x * blockDim.x)
    {
        p.h16[i] = tc_narrow(p.h[i]);
    }
}
#endif

#if EMITS(GROUP_TENSOR_CORE_PROJECTIONS)
extern "C" __global__ void tc_widen_h(const NarrowParams p)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < p.n; i += (long long)gridDim.x * blockDim.x)
    {
#if TC_OPERAND == 1
        float v;
        asm("cvt.f32.f16 %0, %1;" : "=f"(v) : "h"(p.h16[i]));
        p.h[i] = v;
#else
        p.h[i] = __uint_as_float((unsigned int)p.h16[i] << 16);
#endif
    }
}
#endif
#endif

#ifndef TC_FAST_CELLS
#define TC_FAST_CELLS 1
#endif
#if TC_FAST_CELLS
// The cell update's transcendentals as one hardware approximation each: tanh.approx.f32 (sm_75 and newer, one MUFU
// operation), and sigmoid x = (tanh(x / 2) + 1) / 2. PTX documents a relative error of at most 2^-10.99, about one TF32
// or FP16 operand rounding (BF16's is 2^-8); measured, tanh's absolute error is below 1e-5 and sigmoid's below 4e-6
// (tools/gpu-checks/tanh_approx_error.cu); tanh gives exactly +-1 at |x| = 8 and beyond (so sigmoid's limits are
// exactly 0 and 1), and NaN stays NaN. Why this form: IEEE expf, tanhf and a division made the epilogue about as long
// as the products; exp2 and reciprocal approximations (two MUFU operations per transcendental) were faster, and one
// tanh.approx faster again, with no change in the measured drift against the CPU engine; the reciprocal by Newton
// steps on the FMA pipe was slower (docs/PERFORMANCE.md#cell-transcendentals). The float32 paths keep the exact
// forms; -DTC_FAST_CELLS=0 gives them here too.
__device__ __forceinline__ float tc_tanh(float x)
{
    float r;
    asm("tanh.approx.f32 %0, %1;" : "=f"(r) : "f"(x));
    return r;
}
__device__ __forceinline__ float tc_sigmoid(float x) { return fmaf(0.5f, tc_tanh(0.5f * x), 0.5f); }
#else
__device__ __forceinline__ float tc_sigmoid(float x) { return sigmoidf_(x); }
__device__ __forceinline__ float tc_tanh(float x) { return tanhf(x); }
#endif

// One LSTM cell, the arithmetic of both epilogues (tc_lstm_cells, tc_wgmma_cells), which must agree bit for bit: the
// gates from the base entry b (bias, or layer 0's table row) plus the products p, both in the host's gate order
// (i, g, f, o); returns the new c and sets h.
__device__ __forceinline__ float tc_cell(float4 b, float4 p, float c, float& h)
{
    const float ig = tc_sigmoid(b.x + p.x);
    const float cg = tc_tanh(b.y + p.y);
    const float fg = tc_sigmoid(b.z + p.z);
    const float og = tc_sigmoid(b.w + p.w);
    const float cv = __fadd_rn(__fmul_rn(c, fg), __fmul_rn(ig, cg));
    h = __fmul_rn(tc_tanh(cv), og);
    return cv;
}

// The fused LSTM epilogue of a BM x BN tile whose pre-activations (the products, without base) are staged in shared
// memory as sm[BM][BN + 8], with stok[BM] layer 0's token of each row, and unless null sc[BM][BN / 4] the tile's old c
// (copied in while the products ran: tc_wgmma_lstm). Each thread owns one unit column u of the tile and walks rows, so
// a warp's loads of c and of the base entries and its stores of c and h are contiguous runs of a row. Every global load
// of a batch is issued before any of its results are used (no store in between), so a block waits about one L2 round
// trip per batch rather than one per row.
template <int BM, int BN, int THREADS_>
__device__ __forceinline__ void tc_lstm_cells(const GemmParams& g, const float* sm, const int* stok, int m0, int n0,
                                              const float* sc = nullptr)
{
    constexpr int SLD = BN + 8;
    constexpr int U = BN / 4, RS = THREADS_ / U, ROWS = BM / RS, CH = ROWS < 8 ? ROWS : 8;
    static_assert(THREADS_ % U == 0 && RS * ROWS == BM && ROWS % CH == 0, "cell walk must divide evenly");
    const int tid = threadIdx.x % THREADS_, B = g.streams, H = g.hidden;   // the modulo: as in tc_wgmma_lstm
    const int u = tid % U, r0 = tid / U, unit = (n0 >> 2) + u, col = n0 + 4 * u;
    const bool unit_ok = unit < H;
    float4 bias = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    if (!g.tokens && unit_ok) bias = *reinterpret_cast<const float4*>(g.base + col);
#pragma unroll
    for (int c0 = 0; c0 < ROWS; c0 += CH)
    {
        float cold[CH];
        float4 bv[CH];
#pragma unroll
        for (int q = 0; q < CH; ++q)
        {
            const int row = r0 + (c0 + q) * RS;
            const i64 s = m0 + row;
            const bool ok = s < B && unit_ok;
            cold[q] = sc ? sc[row * U + u] : ok ? g.c[s * H + unit] : 0.0f;
            bv[q] = bias;
            if (g.tokens && ok) bv[q] = *reinterpret_cast<const float4*>(g.base + (i64)stok[row] * g.np + col);
        }
#pragma unroll
        for (int q = 0; q < CH; ++q)
        {
            const int row = r0 + (c0 + q) * RS;
            const i64 s = m0 + row;
            if (s < B && unit_ok)
            {
                float hv;
                const float cv = tc_cell(bv[q], *reinterpret_cast<const float4*>(sm + row * SLD + 4 * u), cold[q], hv);
                const i64 at = s * H + unit;
                g.c[at] = cv;
#if TC_OPERAND == 0
                g.out[at] = tc_round_tf32(hv);   // the only h kept: what the products read
#else
                g.out16[at] = tc_narrow(hv);   // the only h kept: what the products read
#endif
            }
        }
    }
}

// Greedy sampling over a staged tile of projection products sm[BM][SLD] (rows m0.., columns 0.. of the vocabulary, no
// bias yet): adds the bias, writes the logits as row runs, and takes each row's argmax in one warp with sample_stream's
// greedy rule (the largest logit, the lowest index among equals; TOKEN_NONFINITE when a logit is NaN or +infinity or
// none is finite), so the tokens equal what sample_batch would pick from these logits. The token goes to tokens_out
// unless null, and fed_token's of it to next_tokens.
template <int BM, int NWARPS, int SLD>
__device__ __forceinline__ void tc_greedy_rows(const GemmParams& g, const float* sm, int m0, int* next_tokens, int* tokens_out)
{
    constexpr int PER_LANE = (SLD - 8) / 32;   // columns of the tile per lane
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    // The bias once, before any store (which could alias it for all the compiler knows and would hold back every load).
    float bias[PER_LANE];
#pragma unroll
    for (int q = 0; q < PER_LANE; ++q) bias[q] = lane + 32 * q < g.n ? g.base[lane + 32 * q] : 0.0f;
    for (int row = warp; row < BM && m0 + row < g.streams; row += NWARPS)
    {
        const i64 s = m0 + row;
        float best = __int_as_float(0xff800000);
        int bi = 0x7fffffff;
        bool bad = false, fin = false;
#pragma unroll
        for (int q = 0; q < PER_LANE; ++q)
        {
            const int col = lane + 32 * q;
            if (col >= g.n) break;
            const float v = sm[row * SLD + col] + bias[q];
            g.out[s * g.n + col] = v;
            if (g.out2) g.out2[s * g.n + col] = v;
            if (v > best || (v == best && col < bi)) { best = v; bi = col; }
            bad |= !(v <= 3.402823466e38f);
            fin |= v >= -3.402823466e38f;
        }
        const bool nonfinite = __any_sync(FULL_MASK, bad) || !__any_sync(FULL_MASK, fin);
#pragma unroll
        for (int o = 16; o > 0; o >>= 1)
        {
            const float ob = __shfl_xor_sync(FULL_MASK, best, o);
            const int oi = __shfl_xor_sync(FULL_MASK, bi, o);
            if (ob > best || (ob == best && oi < bi)) { best = ob; bi = oi; }
        }
        if (lane == 0)
        {
            const int token = nonfinite ? TOKEN_NONFINITE : bi == 0x7fffffff ? 0 : bi;
            next_tokens[s] = fed_token(token);
            if (tokens_out) tokens_out[s] = token;
        }
    }
}

// BM x BN output tile per block, WM x WN per warp, KB bytes of K per stage (KB / TC_BYTES columns). Dynamic shared
// memory: STAGES * (BM + BN) rows of KB + 16 (ldmatrix) or + 32 bytes, then BM ints of tokens
// (TensorCoreKernels.SharedBytes). np must be a multiple of BN, or at most BN (one column tile).
template <int BM, int BN, int WM, int WN, int KB, int STAGES, bool LSTM, bool GREEDY, bool LDSM>
__device__ __forceinline__ void tc_gemm(const GemmParams& g, int* next_tokens = nullptr, int* tokens_out = nullptr)
{
    constexpr bool USE_LDSM = LDSM || TC_OPERAND != 0;   // 16-bit fragments are ldmatrix's own layout
    constexpr int WARPS_N = BN / WN, THREADS_ = (BM / WM) * WARPS_N * 32;
    constexpr int MT = WM / 16, NT = WN / 8;
    constexpr int BK = KB / TC_BYTES;                     // K columns per stage
    constexpr int LD = BK + (USE_LDSM ? 16 : 32) / TC_BYTES;   // row pitch in elements
    constexpr int CHUNKS = KB / 16;                       // 16-byte chunks per tile row
    constexpr int LA = BM * CHUNKS / THREADS_, LB = BN * CHUNKS / THREADS_;
    static_assert(LA * THREADS_ == BM * CHUNKS && LB * THREADS_ == BN * CHUNKS, "tile copies must divide evenly");
    static_assert(!USE_LDSM || NT % 2 == 0, "ldmatrix loads the B fragments of two column tiles at a time");
    constexpr int STAGE_BYTES = (BM + BN) * LD * TC_BYTES;
    extern __shared__ __align__(16) unsigned char tc_smem[];
    float* const sm = reinterpret_cast<float*>(tc_smem);     // the epilogues' view of the (then idle) ring
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int grp = lane >> 2, tig = lane & 3;
    const int wm0 = (warp / WARPS_N) * WM, wn0 = (warp % WARPS_N) * WN;
    const int tilesN = (g.np + BN - 1) / BN;   // 1 for the greedy projection, whose one tile may be wider than np
    const int n0 = (blockIdx.x % tilesN) * BN, m0 = (blockIdx.x / tilesN) * BM;
    const int B = g.streams, H = g.hidden, xw = g.xw, K = g.k, kp = g.kp;
    const unsigned int base_address = tc_smem_address(tc_smem);
    const tc_elem* const gx = reinterpret_cast<const tc_elem*>(g.x);
    const tc_elem* const gh = reinterpret_cast<const tc_elem*>(g.h);
    const tc_elem* const gw = reinterpret_cast<const tc_elem*>(g.w);

    // Each thread copies the same rows and columns of every K tile: their addresses are computed once.
    const tc_elem* a_x[LA];
    const tc_elem* a_h[LA];
    int a_kc[LA];
    bool a_ok[LA];
#pragma unroll
    for (int l = 0; l < LA; ++l)
    {
        const int f = tid + l * THREADS_, row = f / CHUNKS;
        const i64 s = m0 + row;
        a_kc[l] = (f % CHUNKS) * TC_CHUNK;
        a_ok[l] = s < B;
        a_x[l] = gx + s * xw + a_kc[l];
        a_h[l] = gh + s * H + a_kc[l] - xw;
    }
    // Rows of W past np (a column tile wider than the padded N: the greedy projection) are zero-filled.
    const tc_elem* b_w[LB];
    bool b_ok[LB];
#pragma unroll
    for (int l = 0; l < LB; ++l)
    {
        const int f = tid + l * THREADS_;
        b_ok[l] = n0 + f / CHUNKS < g.np;
        b_w[l] = gw + (i64)(n0 + f / CHUNKS) * kp + (f % CHUNKS) * TC_CHUNK;
    }
    auto load_a = [&](int stage, int k0)
    {
        const unsigned int a_dst = base_address + stage * STAGE_BYTES;
#pragma unroll
        for (int l = 0; l < LA; ++l)
        {
            const int f = tid + l * THREADS_, row = f / CHUNKS;
            const int kg = k0 + a_kc[l];
            const unsigned int dst = a_dst + (row * LD + a_kc[l]) * TC_BYTES;
            if (g.aligned)
            {
                // xw and H are multiples of TC_CHUNK: a chunk lies wholly in x or in h, and wholly below or above K.
                const bool ok = a_ok[l] && kg < K;
                tc_copy16(dst, !ok ? gh : kg < xw ? a_x[l] + k0 : a_h[l] + k0, ok);
            }
            else
            {
#pragma unroll
                for (int q = 0; q < TC_CHUNK; ++q)
                {
                    const int kq = kg + q;
                    const bool ok = a_ok[l] && kq < K;
                    const tc_elem* src = kq < xw ? a_x[l] + k0 + q : a_h[l] + k0 + q;
#if TC_OPERAND == 0
                    tc_copy4(dst + q * 4, ok ? src : gh, ok);
#else
                    // cp.async copies no fewer than 4 (aligned) bytes: a plain load, visible after the ring's barrier.
                    asm volatile("st.shared.u16 [%0], %1;" :: "r"(dst + q * 2), "h"(ok ? *src : (unsigned short)0) : "memory");
#endif
                }
            }
        }
    };
    auto load_b = [&](int stage, int k0)
    {
        const unsigned int b_dst = base_address + stage * STAGE_BYTES + BM * LD * TC_BYTES;
#pragma unroll
        for (int l = 0; l < LB; ++l)
        {
            const int f = tid + l * THREADS_, row = f / CHUNKS, kc = (f % CHUNKS) * TC_CHUNK;
            const bool ok = b_ok[l] && k0 + kc < kp;
            tc_copy16(b_dst + (row * LD + kc) * TC_BYTES, ok ? b_w[l] + k0 : gw, ok);
        }
    };

    // The first stages' weights are copied before waiting for the previous kernel (they join the first stage's copy
    // group, so every wait below still covers them). A greedy projection followed by an early layer 0 (g.early,
    // tc_wgmma_lstm) lets that kernel begin only after this one's wait: by then every kernel before this one has
    // finished, so the old h that layer 0 and layer 1 read before their own waits is final.
    const bool signal_late = GREEDY && g.early;
    if (!signal_late) tc_launch_dependents();
    const int tiles = (kp + BK - 1) / BK;
#pragma unroll
    for (int st = 0; st < STAGES - 1; ++st)
    {
        if (st < tiles) load_b(st, st * BK);
    }
    tc_wait_previous();
    if (signal_late) tc_launch_dependents();

    if (LSTM)
    {
        // Layer 0's token of each row, for the epilogue's table reads (behind the ring; visible after the K loop's
        // barriers).
        int* stok = reinterpret_cast<int*>(tc_smem + STAGES * STAGE_BYTES);
        for (int r = tid; r < BM; r += THREADS_) stok[r] = g.tokens && m0 + r < B ? g.tokens[m0 + r] : 0;
    }

    float acc[MT][NT][4];
#pragma unroll
    for (int i = 0; i < MT; ++i)
#pragma unroll
        for (int j = 0; j < NT; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;

#pragma unroll
    for (int st = 0; st < STAGES - 1; ++st)
    {
        if (st < tiles) load_a(st, st * BK);
        tc_commit();
    }
    for (int kt = 0; kt < tiles; ++kt)
    {
        tc_wait<STAGES - 2>();
        // Tile kt has landed for every thread, and every warp is done with tile kt - 1, whose stage is refilled next.
        __syncthreads();
        const int next = kt + STAGES - 1;
        if (next < tiles)
        {
            load_a(next % STAGES, next * BK);
            load_b(next % STAGES, next * BK);
        }
        tc_commit();
        const unsigned char* as = tc_smem + (kt % STAGES) * STAGE_BYTES;
        const unsigned char* bs = as + BM * LD * TC_BYTES;
        // This lane's ldmatrix row addresses: lanes 8q..8q+7 give the rows of matrix q.
        const unsigned int a_lane = tc_smem_address(as + ((((lane >> 3) & 1) * 8 + (lane & 7)) * LD) * TC_BYTES + (lane >> 4) * 16);
        const unsigned int b_lane = tc_smem_address(bs + (((lane >> 4) * 8 + (lane & 7)) * LD) * TC_BYTES + ((lane >> 3) & 1) * 16);
#pragma unroll
        for (int kk = 0; kk < KB; kk += 32)   // bytes of K: one mma's worth
        {
            unsigned int a[MT][4], b[NT][2];
            if constexpr (USE_LDSM)
            {
#pragma unroll
                for (int i = 0; i < MT; ++i)
                {
                    // Matrices: rows 0-7 / 8-15 of the fragment x the first / second 16 bytes of K (a0, a1, a2, a3).
                    tc_ldmatrix4(a[i], a_lane + (wm0 + i * 16) * LD * TC_BYTES + kk);
                }
#pragma unroll
                for (int j = 0; j < NT; j += 2)
                {
                    // Matrices: column tiles j / j + 1 x the first / second 16 bytes of K. W is already rounded.
                    unsigned int r[4];
                    tc_ldmatrix4(r, b_lane + (wn0 + j * 8) * LD * TC_BYTES + kk);
                    b[j][0] = r[0];
                    b[j][1] = r[1];
                    b[j + 1][0] = r[2];
                    b[j + 1][1] = r[3];
                }
            }
            else
            {
                const float* af = reinterpret_cast<const float*>(as);
                const float* bf = reinterpret_cast<const float*>(bs);
                const int kf = kk / 4;
#pragma unroll
                for (int i = 0; i < MT; ++i)
                {
                    const float* p = af + (wm0 + i * 16 + grp) * LD + kf + 2 * tig;
                    const float2 lo = *reinterpret_cast<const float2*>(p);
                    const float2 hi = *reinterpret_cast<const float2*>(p + 8 * LD);
                    a[i][0] = __float_as_uint(lo.x);
                    a[i][1] = __float_as_uint(hi.x);
                    a[i][2] = __float_as_uint(lo.y);
                    a[i][3] = __float_as_uint(hi.y);
                }
#pragma unroll
                for (int j = 0; j < NT; ++j)
                {
                    // Already TF32 values, as A's are (W rounded on the host, h by the epilogues).
                    const float2 w = *reinterpret_cast<const float2*>(bf + (wn0 + j * 8 + grp) * LD + kf + 2 * tig);
                    b[j][0] = __float_as_uint(w.x);
                    b[j][1] = __float_as_uint(w.y);
                }
            }
#pragma unroll
            for (int i = 0; i < MT; ++i)
#pragma unroll
                for (int j = 0; j < NT; ++j) tc_mma(acc[i][j], a[i], b[j][0], b[j][1]);
        }
    }

    if constexpr (LSTM)
    {
        // Cell update through shared memory: the warps' accumulators become a [BM][BN] tile of pre-activations in the
        // (now idle) ring, which tc_lstm_cells walks by unit column.
        constexpr int SLD = BN + 8;   // conflict-free float2 stores of the fragments, contiguous float4 reads
        static_assert(BM * SLD * 4 <= STAGES * STAGE_BYTES, "the pre-activation tile must fit in the ring");
        tc_wait<0>();
        __syncthreads();   // every warp is done reading the ring
#pragma unroll
        for (int i = 0; i < MT; ++i)
        {
#pragma unroll
            for (int j = 0; j < NT; ++j)
            {
                float* p = sm + (wm0 + i * 16 + grp) * SLD + wn0 + j * 8 + 2 * tig;
                *reinterpret_cast<float2*>(p) = make_float2(acc[i][j][0], acc[i][j][1]);
                *reinterpret_cast<float2*>(p + 8 * SLD) = make_float2(acc[i][j][2], acc[i][j][3]);
            }
        }
        __syncthreads();
        tc_lstm_cells<BM, BN, THREADS_>(g, sm, reinterpret_cast<const int*>(tc_smem + STAGES * STAGE_BYTES), m0, n0);
    }
    else if constexpr (GREEDY)
    {
        // The projection with greedy sampling fused (one column tile covers the vocabulary): products staged in
        // shared memory for tc_greedy_rows.
        constexpr int SLD = BN + 8;
        static_assert(BM * SLD * 4 <= STAGES * STAGE_BYTES, "the logit tile must fit in the ring");
        tc_wait<0>();
        __syncthreads();
#pragma unroll
        for (int j = 0; j < NT; ++j)
        {
#pragma unroll
            for (int i = 0; i < MT; ++i)
            {
                float* p = sm + (wm0 + i * 16 + grp) * SLD + wn0 + j * 8 + 2 * tig;
                *reinterpret_cast<float2*>(p) = make_float2(acc[i][j][0], acc[i][j][1]);
                *reinterpret_cast<float2*>(p + 8 * SLD) = make_float2(acc[i][j][2], acc[i][j][3]);
            }
        }
        __syncthreads();
        tc_greedy_rows<BM, THREADS_ / 32, SLD>(g, sm, m0, next_tokens, tokens_out);
    }
    else
    {
        // The projection: its bias entries are read before the first store (a store may alias them for all the
        // compiler knows, which would serialize every load behind it).
        float fb[NT][2];
#pragma unroll
        for (int j = 0; j < NT; ++j)
#pragma unroll
            for (int e = 0; e < 2; ++e)
            {
                const int col = n0 + wn0 + j * 8 + tig * 2 + e;
                fb[j][e] = col < g.n ? g.base[col] : 0.0f;
            }
#pragma unroll
        for (int i = 0; i < MT; ++i)
        {
#pragma unroll
            for (int j = 0; j < NT; ++j)
            {
#pragma unroll
                for (int e = 0; e < 4; ++e)
                {
                    const i64 s = m0 + wm0 + i * 16 + grp + (e >> 1) * 8;
                    const int col = n0 + wn0 + j * 8 + tig * 2 + (e & 1);
                    if (s < B && col < g.n)
                    {
                        const float val = acc[i][j][e] + fb[j][e & 1];
                        g.out[s * g.n + col] = val;
                        if (g.out2) g.out2[s * g.n + col] = val;
                    }
                }
            }
        }
    }
}

// The wgmma tile exists only in sm_90a code (NVRTC always compiles device code; nvcc's host pass, without
// __CUDA_ARCH__, needs the kernel's declaration).
#if defined(__CUDA_ARCH_FEAT_SM90_ALL) || !defined(__CUDA_ARCH__)
#define TC_WGMMA 1
#else
#define TC_WGMMA 0
#endif
#if TC_WGMMA
// Warpgroup tile (Hopper, sm_90a only: the host compiles the module for sm_90a on compute capability 9.0, and only then
// lists lstm_tc_wgmma): 128 x 128 per block, two warpgroups of 64 x 128, each 32 bytes of K (16 columns of 16-bit
// operands, 8 of TF32) one wgmma.mma_async m64n128 that reads both operands from shared memory (no fragment loads
// through registers, which keep the mma.sync tiles issue-bound). [x | h] and W are both K-major, as wgmma reads them
// untransposed (and as TF32 operands must be). A K tile row is 128 bytes (64 16-bit elements, 32 TF32 ones), stored
// with the 128-byte swizzle: 16-byte chunk c of row r lands at chunk c ^ (r % 8) of that row, rows 128 bytes apart, so
// an 8-row group is 1024 bytes (the descriptor's stride byte offset; its leading byte offset is unused with this
// swizzle), and every stage starts 1024-byte aligned, as the swizzle pattern assumes. The geometry in bytes is the same
// for every operand type. TF32 operands arrive already rounded (BatchWeights rounds W; every epilogue rounds the h it
// writes, tc_round_tf32), since nothing rounds them between shared memory and the tensor cores here. One wgmma reads a
// 32-byte column of the tile: the descriptor's start address advances by 32 bytes per column and the hardware applies
// the swizzle to the full address. cp.async writes the tiles through the generic proxy and wgmma
// reads them through the async proxy: each thread fences (fence.proxy.async) after its copies have landed, before the
// barrier that publishes them. Each K tile's products stay in flight while the next tile's are issued; the stage
// refilled is the one read two tiles ago, which every warpgroup has waited for by then. A ring of 3 (96 KB) lets two
// blocks share a multiprocessor, so one block's copies and cell updates overlap the other's products. Accumulation is
// float32 in a fixed order per output (K in order), as in tc_gemm, but grouped differently from the mma.sync tiles:
// the tiles agree to rounding, not bit for bit. Faster than lstm_tc_large; slower, and so not built: 128 x 256 with one
// block per multiprocessor (nothing overlaps its cell update), 64-byte K tiles in a ring of 5 or 6, and waiting for
// each tile's products before refilling (docs/PERFORMANCE.md#wgmma-tiles).
// One wgmma consumes 32 bytes of K in every operand type: k8 of TF32, k16 of FP16 or BF16. The TF32 form has no
// transpose immediates.
#if TC_OPERAND == 0
#define TC_WG_SHAPE_TYPES "k8.f32.tf32.tf32"
#define TC_WG_TRANSPOSE ""
#elif TC_OPERAND == 1
#define TC_WG_SHAPE_TYPES "k16.f32.f16.f16"
#define TC_WG_TRANSPOSE ", 0, 0"
#else
#define TC_WG_SHAPE_TYPES "k16.f32.bf16.bf16"
#define TC_WG_TRANSPOSE ", 0, 0"
#endif

__device__ __forceinline__ void tc_wgmma_n128(float (&d)[64], unsigned long long da, unsigned long long db)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n128" TC_WG_SHAPE_TYPES " "
                 "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, %64, %65, p, 1, 1" TC_WG_TRANSPOSE ";\n}"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
                 : "l"(da), "l"(db), "r"(1));
}

__device__ __forceinline__ void tc_wgmma_n64(float (&d)[32], unsigned long long da, unsigned long long db)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n64" TC_WG_SHAPE_TYPES " "
                 "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, %32, %33, p, 1, 1" TC_WG_TRANSPOSE ";\n}"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
                 : "l"(da), "l"(db), "r"(1));
}

// One m64 x NW x (32 bytes of K) product per warpgroup: NW = 128 or 64 columns.
template <int NW>
__device__ __forceinline__ void tc_wgmma(float (&d)[NW / 2], unsigned long long da, unsigned long long db)
{
    if constexpr (NW == 128) tc_wgmma_n128(d, da, db);
    else tc_wgmma_n64(d, da, db);
}

// Shared-memory matrix descriptor of a K-major operand with the 128-byte swizzle: start address, leading byte offset
// 16 (unused), stride byte offset 1024 (8 rows of 128 bytes), layout type 1 (128-byte swizzle).
__device__ __forceinline__ unsigned long long tc_wg_descriptor(unsigned int address)
{
    return (unsigned long long)((address & 0x3FFFF) >> 4) | (1ull << 16) | (64ull << 32) | (1ull << 62);
}

template <int N>
__device__ __forceinline__ void tc_wg_wait() { asm volatile("wgmma.wait_group.sync.aligned %0;" :: "n"(N) : "memory"); }

// Keeps the compiler from moving accumulator reads or writes across the asynchronous products.
template <int R>
__device__ __forceinline__ void tc_wg_fence_registers(float (&d)[R])
{
#pragma unroll
    for (int i = 0; i < R; ++i) asm volatile("" : "+f"(d[i]) :: "memory");
}

// The wgmma tiles' copy of one 16-byte chunk of a row of [x | h] into shared memory at dst: K columns kg.. of the row,
// which start at x_at in x and at h_at in h (the row's h offset by -xw, so that both are indexed from kg; only one is
// read). Zeros past K, and for a row past the batch (!row_ok); `fallback` is any valid address, which a zero-size copy
// does not read. tc_gemm copies its chunks the same way, inline. Written as this function, the copy compiles to a
// faster 128-row wgmma tile than the same lines inline, while tc_gemm's tiles ran slower through it, so they keep
// their inline copy (docs/PERFORMANCE.md#wgmma-copy-as-a-function).
__device__ __forceinline__ void tc_copy_a(bool aligned, int K, int xw, unsigned int dst, const tc_elem* x_at,
                                          const tc_elem* h_at, bool row_ok, int kg, const tc_elem* fallback)
{
    if (aligned)
    {
        // xw and H are multiples of TC_CHUNK: a chunk lies wholly in x or in h, and wholly below or above K.
        const bool ok = row_ok && kg < K;
        tc_copy16(dst, !ok ? fallback : kg < xw ? x_at : h_at, ok);
    }
    else
    {
#pragma unroll
        for (int q = 0; q < TC_CHUNK; ++q)
        {
            const int kq = kg + q;
            const bool ok = row_ok && kq < K;
            const tc_elem* src = kq < xw ? x_at + q : h_at + q;
            // cp.async copies no fewer than 4 (aligned) bytes: a plain load, visible after the ring's barrier.
#if TC_OPERAND == 0
            asm volatile("st.shared.b32 [%0], %1;" :: "r"(dst + q * 4), "r"(ok ? __float_as_uint(*src) : 0u) : "memory");
#else
            asm volatile("st.shared.u16 [%0], %1;" :: "r"(dst + q * 2), "h"(ok ? *src : (unsigned short)0) : "memory");
#endif
        }
    }
}

// The wgmma tiles' cell update straight from the accumulators, where H is a multiple of TC_CHUNK (a 16-byte chunk of h
// holds whole units: 8 in 16-bit operands, 4 in TF32): no pre-activation tile in shared memory. In the m64nN fragment
// layout, lane (grp, tig) of warp w holds, for every 8-column group j, columns 8j + 2 tig and 8j + 2 tig + 1 of rows
// 16 w + grp and 16 w + grp + 8; with the host's unit-major columns (4 u + gate) those are two gates of unit
// 2j + tig / 2. Lanes tig and tig ^ 1 trade two values per group, so that an even tig holds
// the four gates of that unit in the upper row and an odd tig in the lower one: every thread updates one row, one cell
// per group. The old c comes from sc (tc_wgmma_lstm's staged copy, chunk q of row r at chunk q ^ (r % 8), so a warp's
// 16 rows fall on distinct banks but for pairs), the new c goes back to the same place and the new h, narrowed, to
// sh[BM][32] (chunk q of row r at q ^ (r / 2 % 4); in TF32 rounded, as floats, placed as c is) in a ring stage that no
// warpgroup reads any more; after one barrier the block stores both as coalesced row runs. Both epilogues compute each
// cell with tc_cell, so they give the same bits (the GPU tests' tokens and logits, and the benchmark's token hashes, did
// not change).
// Against tc_lstm_cells: faster in the 128-row tile in every layer, and in the 64-row tile in the layers without the
// table; in the 64-row tile's layer 0 it was not faster, so layer 0 keeps tc_lstm_cells there. All its blocks update
// their cells at once, and the table reads are on the critical path; likely they cost more when a warp load takes 16
// rows' entries rather than one row's 32 units (docs/PERFORMANCE.md#wgmma-cells-from-the-accumulators).
// Where unit u (0-31) of row r of the tile lies in the staged c (sc, floats) and in the 16-bit h tile (sh; a TF32 one is
// placed as sc): 16-byte chunk q of a row at chunk q ^ (r % 8) of sc's row and at q ^ (r / 2 % 4) of sh's
// (tc_wgmma_cells says why).
__device__ __forceinline__ int tc_c_slot(int r, int u) { return r * 32 + (((u >> 2) ^ (r & 7)) << 2) + (u & 3); }
__device__ __forceinline__ int tc_h_slot(int r, int u) { return r * 32 + (((u >> 3) ^ ((r >> 1) & 3)) << 3) + (u & 7); }

template <int WG_M, int WG_N>
__device__ __forceinline__ void tc_wgmma_cells(const GemmParams& g, const float (&d)[64 / WG_N], tc_elem* sh,
                                               float* sc, int m0, int n0)
{
    constexpr int BM = 64 * WG_M, NW = 128 / WG_N, THREADS_ = 128 * WG_M * WG_N, U = 32, J = NW / 8;   // J 8-column groups
    const int tid = threadIdx.x % THREADS_, warp = tid >> 5, lane = tid & 31, grp = lane >> 2, tig = lane & 3;
    const int wg_m = (warp >> 2) / WG_N, wg_n = (warp >> 2) % WG_N, odd = tig & 1, B = g.streams, H = g.hidden;
    const int row = wg_m * 64 + (warp & 3) * 16 + grp + 8 * odd;
    const i64 s = m0 + row;
    const bool row_ok = s < B;
    // Layer 0's table row of this stream's token, else the bias row.
    const float* const base = g.base + (g.tokens && row_ok ? (i64)g.tokens[s] * g.np : 0) + n0;
    float4 bv[J];
#pragma unroll
    for (int j = 0; j < J; ++j)
    {
        const int ul = wg_n * (NW / 4) + 2 * j + (tig >> 1);
        bv[j] = row_ok && (n0 >> 2) + ul < H ? *reinterpret_cast<const float4*>(base + 4 * ul) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    }
#pragma unroll
    for (int j = 0; j < J; ++j)
    {
        const float r0 = __shfl_xor_sync(FULL_MASK, odd ? d[4 * j] : d[4 * j + 2], 1);
        const float r1 = __shfl_xor_sync(FULL_MASK, odd ? d[4 * j + 1] : d[4 * j + 3], 1);
        const float pi = odd ? r0 : d[4 * j], pg = odd ? r1 : d[4 * j + 1];
        const float pf = odd ? d[4 * j + 2] : r0, po = odd ? d[4 * j + 3] : r1;
        const int ul = wg_n * (NW / 4) + 2 * j + (tig >> 1);
        float* const cp = sc + tc_c_slot(row, ul);
        float hv;
        *cp = tc_cell(bv[j], make_float4(pi, pg, pf, po), *cp, hv);
#if TC_OPERAND == 0
        sh[tc_c_slot(row, ul)] = tc_round_tf32(hv);
#else
        sh[tc_h_slot(row, ul)] = tc_narrow(hv);
#endif
    }
    __syncthreads();
#pragma unroll
    for (int f = tid; f < BM * (U / 4); f += THREADS_)
    {
        const int r = f / (U / 4), q = f % (U / 4), unit = (n0 >> 2) + 4 * q;
        const i64 sr = m0 + r;
        if (sr < B && unit < H)
        {
            *reinterpret_cast<float4*>(g.c + sr * H + unit) = *reinterpret_cast<const float4*>(sc + tc_c_slot(r, 4 * q));
#if TC_OPERAND == 0
            *reinterpret_cast<float4*>(g.out + sr * H + unit) = *reinterpret_cast<const float4*>(sh + tc_c_slot(r, 4 * q));
#endif
        }
    }
#if TC_OPERAND != 0
#pragma unroll
    for (int f = tid; f < BM * (U / 8); f += THREADS_)
    {
        const int r = f / (U / 8), q = f % (U / 8), unit = (n0 >> 2) + 8 * q;
        const i64 sr = m0 + r;
        if (sr < B && unit < H)
        {
            *reinterpret_cast<uint4*>(g.out16 + sr * H + unit) = *reinterpret_cast<const uint4*>(sh + tc_h_slot(r, 8 * q));
        }
    }
#endif
}

// WG_M x WG_N warpgroups, each 64 rows by 128 / WG_N columns: a (64 WG_M) x 128 tile. Dynamic shared memory: STAGES *
// (64 WG_M + 128) rows of 128 bytes, then 64 WG_M ints of tokens and 64 WG_M x 32 floats of c
// (TensorCoreKernels.WarpgroupSharedBytes). np is a multiple of the tile's 128 columns (BatchWeights.TileColumns).
// H_FIRST: the order of K (below); which tile gains from which order was measured (the kernels' comments).
template <int WG_M, int WG_N, int STAGES, bool H_FIRST>
__device__ __forceinline__ void tc_wgmma_lstm(const GemmParams& g)
{
    // First of all, so that the next kernel's blocks may take multiprocessors as soon as this one's leave them (it
    // waits for this one before reading anything this one writes).
    tc_launch_dependents();
    constexpr int BM = 64 * WG_M, BN = 128, THREADS_ = 128 * WG_M * WG_N, ROW = 128, BK = ROW / TC_BYTES;   // BK elements = ROW bytes
    constexpr int NW = BN / WG_N;   // columns per warpgroup
    constexpr int CHUNKS = ROW / 16, ROWS_PER_PASS = THREADS_ / CHUNKS;
    constexpr int LA = BM / ROWS_PER_PASS, LB = BN / ROWS_PER_PASS;
    constexpr int A_BYTES = BM * ROW, STAGE_BYTES = (BM + BN) * ROW, R = NW / 2;
    constexpr int AHEAD = STAGES - 2;   // K tiles in flight beyond the two being multiplied
    static_assert(AHEAD >= 1, "the ring needs a stage in flight beyond the two being multiplied");
    extern __shared__ __align__(1024) unsigned char tc_smem[];
    float* const sm = reinterpret_cast<float*>(tc_smem);
    // threadIdx.x < THREADS_; the modulo tells the compiler so: shorter index arithmetic, and faster steps
    // (docs/PERFORMANCE.md#wgmma-thread-index-modulo).
    const int tid = threadIdx.x % THREADS_, warp = tid >> 5, lane = tid & 31, grp = lane >> 2, tig = lane & 3;
    const int wg_m = (warp >> 2) / WG_N, wg_n = (warp >> 2) % WG_N;   // warpgroup: rows 64 wg_m.., columns NW wg_n..
    const int tilesN = g.np / BN;
    const int n0 = (blockIdx.x % tilesN) * BN, m0 = (blockIdx.x / tilesN) * BM;
    const int B = g.streams, H = g.hidden, xw = g.xw, K = g.k, kp = g.kp;
    const unsigned int base_address = tc_smem_address(tc_smem);
    const tc_elem* const gx = reinterpret_cast<const tc_elem*>(g.x);
    const tc_elem* const gh = reinterpret_cast<const tc_elem*>(g.h);
    const tc_elem* const gw = reinterpret_cast<const tc_elem*>(g.w);

    // A thread copies chunk tid % 8 of rows tid / 8 + 32 l: its chunk's swizzled place is the same in each of them.
    const int kc = (tid % CHUNKS) * TC_CHUNK, row0 = tid / CHUNKS;
    const unsigned int place = row0 * ROW + (((tid % CHUNKS) ^ (row0 % 8)) * 16);
    const tc_elem* a_x[LA];
    const tc_elem* a_h[LA];
    bool a_ok[LA];
#pragma unroll
    for (int l = 0; l < LA; ++l)
    {
        const i64 s = m0 + row0 + l * ROWS_PER_PASS;
        a_ok[l] = s < B;
        a_x[l] = gx + s * xw + kc;
        a_h[l] = gh + s * H + kc - xw;
    }
    const tc_elem* const b_w = gw + (i64)(n0 + row0) * kp + kc;
    auto load_a = [&](int stage, int k0)
    {
        const unsigned int a_dst = base_address + stage * STAGE_BYTES + place;
        const int kg = k0 + kc;
#pragma unroll
        for (int l = 0; l < LA; ++l)
        {
            tc_copy_a(g.aligned, K, xw, a_dst + l * ROWS_PER_PASS * ROW, a_x[l] + k0, a_h[l] + k0, a_ok[l], kg, gh);
        }
    };
    auto load_b = [&](int stage, int k0)
    {
        const unsigned int b_dst = base_address + stage * STAGE_BYTES + A_BYTES + place;
        const bool ok = k0 + kc < kp;
#pragma unroll
        for (int l = 0; l < LB; ++l)
        {
            tc_copy16(b_dst + l * ROWS_PER_PASS * ROW, ok ? b_w + (i64)l * ROWS_PER_PASS * kp + k0 : gw, ok);
        }
    };

    // With H_FIRST the K tiles of this layer's own old h come first, then those of x (the layer below's new h), in
    // every launch, so that early and plain launches add the products in one order. Early (greedy steps, g.early): the
    // h tiles are multiplied before waiting for the previous kernel; only the x tiles and the epilogue (tokens, c) wait;
    // without H_FIRST only a layer with no x (layer 0) runs early. The host sets it only where the kernel before this
    // one began after everything that writes that h had finished: the greedy projection, which then signals its
    // dependents only after its own wait (tc_gemm), before layer 0; layer 0, which began after that projection's signal,
    // before layer 1. Layer 0 (x empty, its input comes from the table) then computes all of its products while the
    // projection before it runs. Where a K tile would straddle x and h (xw not a multiple of BK) or operands are copied
    // element by element, K stays in plain order and nothing runs early.
    const int tiles = (kp + BK - 1) / BK, x_tiles = xw / BK;
    const bool h_first = H_FIRST && g.aligned && x_tiles * BK == xw;
    const bool early = g.early && g.aligned && (xw == 0 || h_first);
    const int first = h_first ? x_tiles : 0;   // the K tile multiplied first; the order wraps around to tile 0
    auto k_of = [&](int kt) { const int t = kt + first; return (t < tiles ? t : t - tiles) * BK; };
    int* stok = reinterpret_cast<int*>(tc_smem + STAGES * STAGE_BYTES);
    // The tile's old c, [BM][BN / 4] floats behind the tokens, copied with the first K tile's copies so that its latency
    // (the state is often no longer in the L2 by the next step) hides behind the products rather than stalling the
    // epilogue. In 16-byte chunks, so only where a row's units start 16-byte aligned (H a multiple of 4). A little faster
    // than the epilogue's own loads; what c costs beyond that is its memory traffic, not its latency
    // (docs/PERFORMANCE.md#wgmma-old-c-staged).
    constexpr int U = BN / 4;
    float* const sc = reinterpret_cast<float*>(tc_smem + STAGES * STAGE_BYTES + BM * 4);
    const bool c_staged = H % 4 == 0;
    // Where h's 16-byte chunks are whole units of a row (H a multiple of TC_CHUNK), the cells are updated straight from
    // the accumulators (tc_wgmma_cells) in the 128-row tile, and in the 64-row one where there is no table to read
    // (above); c's chunks are then stored swizzled, chunk q of row r at q ^ (r % 8).
    const bool reg_cells = (WG_N == 1 || !g.tokens) && H % TC_CHUNK == 0;
    auto load_c = [&]()
    {
#pragma unroll
        for (int f = tid; f < BM * U / 4; f += THREADS_)
        {
            const int row = f / (U / 4), q = f % (U / 4), unit = (n0 >> 2) + q * 4;
            const i64 s = m0 + row;
            const bool ok = s < B && unit < H;
            tc_copy16(tc_smem_address(sc + (reg_cells ? tc_c_slot(row, 4 * q) : f * 4)), ok ? g.c + s * H + unit : g.c, ok);
        }
    };
    auto read_tokens = [&]()
    {
        for (int r = tid; r < BM; r += THREADS_) stok[r] = g.tokens && m0 + r < B ? g.tokens[m0 + r] : 0;
    };
    // As in tc_gemm: the first stages' weights are copied before waiting for the previous kernel.
#pragma unroll
    for (int st = 0; st < AHEAD; ++st)
    {
        if (st < tiles) load_b(st, k_of(st));
    }
    bool waited = !early;
    auto wait_before = [&](int k0)
    {
        if (!waited && k0 < xw)
        {
            tc_wait_previous();
            waited = true;
        }
    };
    if (!early)
    {
        tc_wait_previous();
        read_tokens();
    }
    // c is this layer's own state, as final as its old h where the layer runs early (below).
    if (c_staged) load_c();
#pragma unroll
    for (int st = 0; st < AHEAD; ++st)
    {
        if (st < tiles)
        {
            const int k0 = k_of(st);
            wait_before(k0);
            load_a(st, k0);
        }
        tc_commit();
    }

    float d[R];
#pragma unroll
    for (int i = 0; i < R; ++i) d[i] = 0.0f;
    for (int kt = 0; kt < tiles; ++kt)
    {
        tc_wait<AHEAD - 1>();
        asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
        // Tile kt is in shared memory for every thread, and every warpgroup is done with tile kt - 2 (waited below),
        // whose stage is refilled next.
        __syncthreads();
        const int next = kt + AHEAD;
        if (next < tiles)
        {
            const int k0 = k_of(next);
            wait_before(k0);
            load_a(next % STAGES, k0);
            load_b(next % STAGES, k0);
        }
        tc_commit();
        const unsigned int a_tile = base_address + (kt % STAGES) * STAGE_BYTES + wg_m * 64 * ROW;
        const unsigned int b_tile = base_address + (kt % STAGES) * STAGE_BYTES + A_BYTES + wg_n * NW * ROW;
        tc_wg_fence_registers(d);
        asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
#pragma unroll
        for (int kk = 0; kk < ROW; kk += 32)
        {
            tc_wgmma<NW>(d, tc_wg_descriptor(a_tile + kk), tc_wg_descriptor(b_tile + kk));
        }
        asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
        tc_wg_wait<1>();
        tc_wg_fence_registers(d);
    }
    tc_wg_wait<0>();
    tc_wg_fence_registers(d);
    if (reg_cells)
    {
        if (early && !waited) tc_wait_previous();
        // The h tile goes to the stage of tile tiles - STAGES (or one never filled): every warpgroup finished reading it
        // before the last K tile's barrier, and nothing is copied into it any more.
        tc_wgmma_cells<WG_M, WG_N>(g, d, reinterpret_cast<tc_elem*>(tc_smem + (tiles % STAGES) * STAGE_BYTES), sc, m0, n0);
        return;
    }
    if (early)
    {
        if (!waited) tc_wait_previous();
        read_tokens();   // visible to the epilogue after the barriers below
    }

    // Otherwise the accumulators (m64 x NW: per warp 16 rows, the m16n8 fragment layout repeated over NW / 8 column
    // groups) of every warpgroup become a [BM][BN] tile of pre-activations in the idle ring, which tc_lstm_cells walks
    // by unit column.
    constexpr int SLD = BN + 8;
    static_assert(BM * SLD * 4 <= STAGES * STAGE_BYTES, "the pre-activation tile must fit in the ring");
    tc_wait<0>();
    __syncthreads();   // every warpgroup is done reading the ring
    const int r = wg_m * 64 + (warp & 3) * 16 + grp;
#pragma unroll
    for (int j = 0; j < NW / 8; ++j)
    {
        float* p = sm + r * SLD + wg_n * NW + j * 8 + 2 * tig;
        *reinterpret_cast<float2*>(p) = make_float2(d[4 * j], d[4 * j + 1]);
        *reinterpret_cast<float2*>(p + 8 * SLD) = make_float2(d[4 * j + 2], d[4 * j + 3]);
    }
    __syncthreads();
    tc_lstm_cells<BM, BN, THREADS_>(g, sm, stok, m0, n0, c_staged ? sc : nullptr);
}
#endif

#if EMITS(GROUP_TENSOR_CORE_LAYERS)
// Tiles (CudaInferenceEngine picks by batch: TensorCoreKernels.LayerTile; its table mirrors these template arguments).
// 128 x 128, 8 warps of 32 x 64, K tiles of 64 bytes in a ring of 4 (82 KB), ldmatrix, two blocks per multiprocessor:
// 4096 streams.
extern "C" __global__ void __launch_bounds__(256, 2) lstm_tc_large(const GemmParams g) { tc_gemm<128, 128, 32, 64, 64, 4, true, false, true>(g); }
// 64 x 128: about 1024 streams. TF32: 4 warps of 32 x 64, 64-bit fragment loads (72 KB). 16-bit operands: 8 warps of
// 32 x 32 (61 KB), faster there than TF32's shape, which is faster in TF32 (docs/PERFORMANCE.md#mma-sync-tiles).
#if TC_OPERAND == 0
extern "C" __global__ void __launch_bounds__(128, 3) lstm_tc_medium(const GemmParams g) { tc_gemm<64, 128, 32, 64, 64, 4, true, false, false>(g); }
#else
extern "C" __global__ void __launch_bounds__(256, 2) lstm_tc_medium(const GemmParams g) { tc_gemm<64, 128, 32, 32, 64, 4, true, false, true>(g); }
#endif
// 32 x 64 and 32 x 32, 4 warps, K tiles of 128 bytes in a ring of 6 for the latency-bound K loop: a few hundred streams
// and fewer.
extern "C" __global__ void __launch_bounds__(128) lstm_tc_narrow(const GemmParams g) { tc_gemm<32, 64, 16, 32, 128, 6, true, false, false>(g); }
extern "C" __global__ void __launch_bounds__(128) lstm_tc_small(const GemmParams g) { tc_gemm<32, 32, 16, 16, 128, 6, true, false, false>(g); }
#endif
#if TC_WGMMA && EMITS(GROUP_TENSOR_CORE_WARPGROUP)
// 128 x 128, two warpgroups of wgmma, K tiles of 128 bytes in a ring of 3 (96 KB; 113 KB with the tokens and c), two
// blocks per multiprocessor: sm_90a only, chosen instead of lstm_tc_large (TensorCoreKernels.LayerTile: 2048 streams
// and more at the seed shape). K with h first, and both layers early in greedy steps: faster than plain order without
// early, and than h first without early (docs/PERFORMANCE.md#wgmma-tiles).
extern "C" __global__ void __launch_bounds__(256, 2) lstm_tc_wgmma(const GemmParams g) { tc_wgmma_lstm<2, 1, 3, true>(g); }
// The same with a ring of 6 (192 KB; 209 KB with the tokens and c), one block per multiprocessor, for batches between
// the 64-row tiles and this one's full grid (416-1024 streams at the seed shape; TensorCoreKernels.LayerTile).
extern "C" __global__ void __launch_bounds__(256, 1) lstm_tc_wgmma_deep(const GemmParams g) { tc_wgmma_lstm<2, 1, 6, true>(g); }
// 64 x 128 as two warpgroups of 64 x 64 side by side (each copies half of every K tile, multiplies m64n64 and updates
// half the cells), a ring of 4 (96 KB; 104 KB with the tokens and c), two blocks per multiprocessor: twice the blocks
// of lstm_tc_wgmma, for batches where that one leaves multiprocessors idle (1024 streams at the seed shape). K in plain
// order (x, then h): only layer 0 (no x) runs early. Faster than one warpgroup of 64 x 128 (16 warps per
// multiprocessor rather than 8: that kernel's warps were issue-bound with 2 warps per scheduler), than h first with
// layer 1 early as well, than no early layers, and than one block of four warpgroups per multiprocessor
// (docs/PERFORMANCE.md#wgmma-tiles).
extern "C" __global__ void __launch_bounds__(256, 2) lstm_tc_wgmma64(const GemmParams g) { tc_wgmma_lstm<1, 2, 4, false>(g); }
// The same with a ring of 8 (192 KB; 200 KB with the tokens and c), one block per multiprocessor: 6 K tiles in flight
// rather than 2, for long K loops (Tf32 with a 2 x 1024 model), which wait on the round trips of their copies.
extern "C" __global__ void __launch_bounds__(256, 1) lstm_tc_wgmma64_deep(const GemmParams g) { tc_wgmma_lstm<1, 2, 8, false>(g); }
#endif
#if EMITS(GROUP_TENSOR_CORE_PROJECTIONS)
// The projection: 32 x 32 tiles (the padded vocabulary is a multiple of 32).
extern "C" __global__ void __launch_bounds__(128) fc_tc(const GemmParams g) { tc_gemm<32, 32, 16, 16, 128, 6, false, false, false>(g); }

// The projection with greedy sampling fused, for vocabularies of up to 128: 16 x 128 tiles (one column tile), 4 warps
// of 16 x 32. Writes the logits and each stream's argmax to next_tokens (the next step's input) and, unless null, to
// tokens_out (the call's output row of the next step). Mirrored by TensorCoreKernels.GreedyProjectionParams.
struct GreedyFcParams
{
    GemmParams g;
    int* next_tokens;
    int* tokens_out;
};
extern "C" __global__ void __launch_bounds__(128) fc_tc_greedy(const GreedyFcParams p)
{
    tc_gemm<16, 128, 16, 32, 128, 4, false, true, false>(p.g, p.next_tokens, p.tokens_out);
}
// The same with a ring of 9 (one block per multiprocessor, for batches whose blocks all fit at once): 8 K tiles in
// flight, all of K for the seed shape in 16-bit operands, so the weights are all prefetched while the previous kernel
// runs and h arrives in one round trip. Faster than the ring of 4 where its blocks fit at once, slower where they take
// two waves (docs/PERFORMANCE.md#fused-greedy-projection).
extern "C" __global__ void __launch_bounds__(128) fc_tc_greedy_deep(const GreedyFcParams p)
{
    tc_gemm<16, 128, 16, 32, 128, 9, false, true, false>(p.g, p.next_tokens, p.tokens_out);
}
// The deep ring with 32 rows per block (8 warps of 16 x 32; 207-231 KB): one block per multiprocessor for batches whose
// 16-row blocks would not all fit at once (up to 32 streams per multiprocessor), with half the weight copies; faster
// than fc_tc_greedy there (docs/PERFORMANCE.md#fused-greedy-projection).
extern "C" __global__ void __launch_bounds__(256) fc_tc_greedy_deep32(const GreedyFcParams p)
{
    tc_gemm<32, 128, 16, 32, 128, 9, false, true, false>(p.g, p.next_tokens, p.tokens_out);
}
// 32 rows per block with a ring of 4 (92 KB), for greedy steps whose layers run early (TensorCoreKernels.RunsEarly)
// where the 16-row deep ring's blocks would not all fit at once: a wgmma layer block fits beside each of its blocks, so
// the next layer 0 multiplies while this kernel runs, which the deep ring's 207-231 KB leave no room for; faster than
// fc_tc_greedy_deep32 there, for the same tokens (docs/PERFORMANCE.md#fused-greedy-projection).
extern "C" __global__ void __launch_bounds__(256) fc_tc_greedy32(const GreedyFcParams p)
{
    tc_gemm<32, 128, 16, 32, 128, 4, false, true, false>(p.g, p.next_tokens, p.tokens_out);
}

// sample_batch for the steps of sampled (or not fused greedy) generation on the tensor-core path, launched as a
// programmatic dependent of the projection: it waits for the projection (its logits, and the previous layer 0's reads
// of the tokens it overwrites), and only then lets the next layer 0 begin, so that where that layer runs early
// (GemmParams.early) it starts after every kernel that writes the old h it reads has finished, as behind the greedy
// projection.
extern "C" __global__ void __launch_bounds__(THREADS) sample_batch_tc(const RunParams p)
{
    tc_wait_previous();
    tc_launch_dependents();
    sample_rows(p);
}
#endif
