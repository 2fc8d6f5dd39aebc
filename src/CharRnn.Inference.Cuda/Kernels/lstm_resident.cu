// Resident kernel: few streams of a model whose weights fit on chip. Appended to lstm_persistent.cu (it uses RunParams,
// warp_sum, sigmoidf_ and sample_stream from there) and compiled only when the host defines the model's shape:
// RES_H (hidden units, a multiple of 32), RES_L (layers), RES_U (units per block). One cooperative launch runs a whole
// Feed or Generate call, like lstm_run, but with no grid barrier:
// - every weight of the LSTM stays in registers for the whole launch: block b owns units [b*U, b*U + U) of every layer,
//   warp j holds gate row j of them (gate j / U of unit j % U), lane l the row's columns l, l + 32, ...;
// - the output projection, its bias and the block's rows of layer 0's input table stay in shared memory; every block
//   computes all the logits and samples every stream itself (identical inputs, identical code: identical tokens), so
//   the token never crosses blocks;
// - the only exchange is h: each block publishes its units' new h as 64-bit words (epoch << 32 | float bits) and reads
//   every block's words of that layer until they carry the step's epoch. A word is written and read whole, so seeing
//   the epoch means seeing the value: no fence, no counter, one L2 round trip per exchange, one exchange per layer.
// Why one buffer per layer suffices: a block publishes layer k of step t + 1 only after reading layer L - 1 of step t
// from every block, and each block read layer k of step t before publishing layer k + 1 (or L - 1) of step t; so no
// word is overwritten before every block has read it.
// Arithmetic is the persistent kernel's: fmaf dot products (lane-strided, then a butterfly), base + dot, IEEE expf/tanhf,
// the cell update rounded as the CPU engine rounds.
#ifdef RES_H

#define RES_ROWS (4 * RES_U)
#define RES_WARPS RES_ROWS
#define RES_THREADS (32 * RES_ROWS)
#define RES_C0 (RES_H / 32)                 // weights per lane of a layer-0 row (R only: W x is in the input table)
#define RES_C1 (2 * RES_H / 32)             // weights per lane of a row above ([W | R])

#if RES_H % 32 != 0 || RES_H % RES_U != 0
#error "RES_H must be a multiple of 32 and of RES_U (ResidentLayout.TryCreate)"
#endif

__device__ __forceinline__ u64 ld_relaxed_u64(const u64* p)
{
    u64 v;
    asm volatile("ld.relaxed.gpu.global.u64 %0, [%1];" : "=l"(v) : "l"(p) : "memory");
    return v;
}

__device__ __forceinline__ void st_relaxed_u64(u64* p, u64 v)
{
    asm volatile("st.relaxed.gpu.global.u64 [%0], %1;" :: "l"(p), "l"(v) : "memory");
}

// Reads n (at most MB * H) tagged words into dst, waiting for each to carry `epoch`. All of a thread's loads are issued
// before it waits on the first, so a gather costs one round trip once the values are there.
template <int MB>
__device__ __forceinline__ void gather_layer(const u64* src, float* dst, int n, unsigned int epoch)
{
    constexpr int POLL = (MB * RES_H + RES_THREADS - 1) / RES_THREADS;
    u64 v[POLL];
#pragma unroll
    for (int i = 0; i < POLL; ++i)
    {
        const int idx = threadIdx.x + i * RES_THREADS;
        v[i] = idx < n ? ld_relaxed_u64(src + idx) : (u64)epoch << 32;
    }
#pragma unroll
    for (int i = 0; i < POLL; ++i)
    {
        const int idx = threadIdx.x + i * RES_THREADS;
        while ((unsigned int)(v[i] >> 32) != epoch) v[i] = ld_relaxed_u64(src + idx);
        if (idx < n) dst[idx] = __uint_as_float((unsigned int)v[i]);
    }
}

// The value of acc[q] for q == lane, without indexing a register array by a runtime value.
template <int MB>
__device__ __forceinline__ float pick_lane(const float (&acc)[MB], int lane)
{
    float mine = 0.0f;
#pragma unroll
    for (int q = 0; q < MB; ++q)
        if (q == lane) mine = acc[q];
    return mine;
}

// Shared memory, in floats (CudaInferenceEngine.ResidentSharedBytes): projection weights [V][H], its bias [V] (rounded
// up to 4), the block's rows of the input table [V][ROWS], the block's biases of the layers above [L-1][ROWS], every
// layer's h [L][B][H], gate pre-activations [B][ROWS], logits [B][V] (rounded up to 4), sampling scratch
// [min(B, WARPS)][3V], tokens [B]. MB bounds the streams (B <= MB): the per-stream accumulators are unrolled.
template <int MB>
__device__ __forceinline__ void resident_run(const RunParams& p)
{
    extern __shared__ __align__(16) float smem[];
    const int B = p.streams, V = p.vocab;
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int u0 = blockIdx.x * RES_U;
    float* fcw = smem;
    float* fcb = fcw + V * RES_H;
    float* tab = fcb + ((V + 3) & ~3);
    float* bias = tab + V * RES_ROWS;
    float* hs = bias + (RES_L - 1) * RES_ROWS;
    float* gates = hs + RES_L * B * RES_H;
    float* lg = gates + B * RES_ROWS;
    float* ws = lg + ((B * V + 3) & ~3);
    int* tok = reinterpret_cast<int*>(ws + min(B, RES_WARPS) * 3 * V);

    // This warp's gate row in every layer.
    const int gate = warp / RES_U;
    const int row = gate * RES_H + u0 + (warp - gate * RES_U);
    float w0[RES_C0];
#pragma unroll
    for (int i = 0; i < RES_C0; ++i) w0[i] = p.layers[0].wr[(i64)row * RES_H + lane + 32 * i];
    float wk[RES_L > 1 ? RES_L - 1 : 1][RES_C1];
#pragma unroll
    for (int k = 1; k < RES_L; ++k)
#pragma unroll
        for (int i = 0; i < RES_C1; ++i) wk[k - 1][i] = p.layers[k].wr[(i64)row * 2 * RES_H + lane + 32 * i];

    for (int i = tid; i < V * RES_H; i += RES_THREADS) fcw[i] = p.fc_w[i];
    for (int i = tid; i < V; i += RES_THREADS) fcb[i] = p.fc_b[i];
    for (int i = tid; i < V * RES_ROWS; i += RES_THREADS)
    {
        const int v = i / RES_ROWS, j = i - v * RES_ROWS, g = j / RES_U;
        tab[i] = p.table[(i64)v * 4 * RES_H + g * RES_H + u0 + (j - g * RES_U)];
    }
    for (int i = tid; i < (RES_L - 1) * RES_ROWS; i += RES_THREADS)
    {
        const int k = 1 + i / RES_ROWS, j = i % RES_ROWS, g = j / RES_U;
        bias[i] = p.layers[k].bias[g * RES_H + u0 + (j - g * RES_U)];
    }
    const i64 LBH = (i64)RES_L * B * RES_H;
    const float* hin = p.h + p.parity * LBH;
    for (int i = tid; i < LBH; i += RES_THREADS) hs[i] = hin[i];
    const bool generating = p.tokens_in == 0;
    if (generating)
        for (int i = tid; i < B * V; i += RES_THREADS) lg[i] = p.logits[i];
    // The cell this thread updates (the first B * U threads): stream cq, unit u0 + cu, its c in a register per layer.
    const int cq = tid / RES_U, cu = tid - cq * RES_U;
    const bool owner = tid < B * RES_U;
    float creg[RES_L];
#pragma unroll
    for (int k = 0; k < RES_L; ++k) creg[k] = owner ? p.c[((i64)k * B + cq) * RES_H + u0 + cu] : 0.0f;
    __syncthreads();

    for (int t = 0; t < p.steps; ++t)
    {
        const unsigned int epoch = p.epoch + (unsigned int)t;
        if (generating)
        {
            for (int s = warp; s < B; s += RES_WARPS)
            {
                const int picked = sample_stream<true>(p, lg + s * V, s, t, ws + warp * 3 * V, lane);
                if (lane == 0)
                {
                    tok[s] = picked;
                    if (blockIdx.x == 0) p.tokens_out[(i64)t * B + s] = picked;
                }
            }
        }
        else if (tid < B)
        {
            tok[tid] = p.tokens_in[(i64)t * B + tid];
        }
        __syncthreads();

#pragma unroll
        for (int k = 0; k < RES_L; ++k)
        {
            float acc[MB];
#pragma unroll
            for (int q = 0; q < MB; ++q)
            {
                acc[q] = 0.0f;
                if (q < B)
                {
                    float a = 0.0f;
                    if (k == 0)
                    {
                        const float* hq = hs + q * RES_H;
#pragma unroll
                        for (int i = 0; i < RES_C0; ++i) a = fmaf(w0[i], hq[lane + 32 * i], a);
                    }
                    else
                    {
                        // [x | h]: the layer below's new h, then this layer's old h.
                        const float* xq = hs + ((k - 1) * B + q) * RES_H;
                        const float* hq = hs + (k * B + q) * RES_H;
#pragma unroll
                        for (int i = 0; i < RES_C0; ++i) a = fmaf(wk[k > 0 ? k - 1 : 0][i], xq[lane + 32 * i], a);
#pragma unroll
                        for (int i = 0; i < RES_C0; ++i) a = fmaf(wk[k > 0 ? k - 1 : 0][RES_C0 + i], hq[lane + 32 * i], a);
                    }
                    acc[q] = warp_sum(a);
                }
            }
            if (lane < B)
            {
                const float base = k == 0 ? tab[tok[lane] * RES_ROWS + warp] : bias[(k - 1) * RES_ROWS + warp];
                gates[lane * RES_ROWS + warp] = base + pick_lane(acc, lane);
            }
            __syncthreads();
            if (owner)
            {
                const float* gs = gates + cq * RES_ROWS;
                const float ig = sigmoidf_(gs[cu]);
                const float cg = tanhf(gs[RES_U + cu]);
                const float fg = sigmoidf_(gs[2 * RES_U + cu]);
                const float og = sigmoidf_(gs[3 * RES_U + cu]);
                // c' = c * f + i * j; h' = tanh(c') * o, rounded as the CPU engine rounds (no contraction).
                const float cv = __fadd_rn(__fmul_rn(creg[k], fg), __fmul_rn(ig, cg));
                creg[k] = cv;
                const float hv = __fmul_rn(tanhf(cv), og);
                st_relaxed_u64(p.exchange + ((i64)k * B + cq) * RES_H + u0 + cu, ((u64)epoch << 32) | __float_as_uint(hv));
            }
            gather_layer<MB>(p.exchange + (i64)k * B * RES_H, hs + k * B * RES_H, B * RES_H, epoch);
            __syncthreads();
        }

        // Projection: every block computes every logit (needed every step when generating or when logits are
        // requested per step; a plain Feed needs it only after its last step).
        if (generating || p.logits_out != 0 || t + 1 == p.steps)
        {
            const float* hl = hs + (RES_L - 1) * B * RES_H;
            for (int v = warp; v < V; v += RES_WARPS)
            {
                const float* fr = fcw + v * RES_H;
                float acc[MB];
#pragma unroll
                for (int q = 0; q < MB; ++q)
                {
                    acc[q] = 0.0f;
                    if (q < B)
                    {
                        float a = 0.0f;
#pragma unroll
                        for (int i = 0; i < RES_C0; ++i) a = fmaf(fr[lane + 32 * i], hl[q * RES_H + lane + 32 * i], a);
                        acc[q] = warp_sum(a);
                    }
                }
                if (lane < B)
                {
                    // CPU order: dot + bias.
                    const float val = pick_lane(acc, lane) + fcb[v];
                    lg[lane * V + v] = val;
                    if (blockIdx.x == 0 && p.logits_out) p.logits_out[((i64)t * B + lane) * V + v] = val;
                }
            }
            __syncthreads();
        }
    }

    // The state leaves the chip: each block its units' h and c, block 0 the logits. h goes to the buffer of the
    // parity after these steps; every block has read the launch's initial h and logits before any block gets here.
    float* hout = p.h + (p.parity ^ (p.steps & 1)) * LBH;
#pragma unroll
    for (int k = 0; k < RES_L; ++k)
    {
        if (owner)
        {
            const i64 at = ((i64)k * B + cq) * RES_H + u0 + cu;
            hout[at] = hs[at];
            p.c[at] = creg[k];
        }
    }
    if (blockIdx.x == 0)
        for (int i = tid; i < B * V; i += RES_THREADS) p.logits[i] = lg[i];
}

// One stream (the latency case) gets its own build so that nothing is unrolled for streams it does not have.
extern "C" __global__ void __launch_bounds__(RES_THREADS, 1) lstm_resident1(const RunParams p) { resident_run<1>(p); }
extern "C" __global__ void __launch_bounds__(RES_THREADS, 1) lstm_resident8(const RunParams p) { resident_run<8>(p); }   // ResidentLayout.StreamLimit

#endif
