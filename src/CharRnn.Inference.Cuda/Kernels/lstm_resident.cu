// Resident kernel: few streams of a model whose weights fit on chip. Appended to lstm_persistent.cu (it uses RunParams,
// warp_sum, sigmoidf_ and sample_stream from there) and compiled only when the host defines the model's shape:
// RES_H (hidden units, a multiple of 32), RES_L (layers), RES_U (units per block), RES_V (vocabulary). One cooperative
// launch runs a whole Feed or Generate call, like lstm_run, but with no grid barrier:
// - every weight of the LSTM stays in registers for the whole launch: block b owns units [b*U, b*U + U) of every layer,
//   warp j holds gate row j of them (gate j / U of unit j % U), lane l the row's columns l, l + 32, ...;
// - the block's rows of the output projection (row v in block v % blocks, one per warp) and of layer 0's input table
//   stay in shared memory;
// - the exchanges: each block publishes its units' new h (then its projection rows' logits) as 64-bit words
//   (epoch << 32 | float bits) and reads every block's words until they carry the step's epoch. A word is written and
//   read whole, so seeing the epoch means seeing the value: no fence, no counter, one L2 round trip per exchange, one
//   exchange per layer and one for the logits. Every block then samples every stream itself (identical logits,
//   identical code: identical tokens), so the token never crosses blocks. Every block polls every word, so the words
//   are spread thin over 128-byte lines (one logit a line, four h words a line with one stream: RES_HS1) to spread
//   the polls over many L2 slices;
// - one stream, greedy, no per-step logits (its own build, lstm_resident1g, with neither the sampler nor the Feed path:
//   28 KB of code instead of 89 KB for the seed shape): warp 0 gathers the logits into its registers and takes the
//   argmax with two warp reductions, while the other warps speculate layer 0 (below) and go on to the next step
//   without a block barrier. It also publishes the speculated layer 0 itself: every block writes its units' h for
//   every token while the logits travel (RES_SPEC_PUB), and once the token is drawn reads that token's words, already
//   in L2, instead of waiting for every block to draw the token and publish its units (a store's trip to L2 and the
//   blocks' skew off the critical path);
// - one stream, sampled, no per-step logits (lstm_resident1s): the general step with the sampler, no Feed path, and the
//   speculated layer 0 published ahead as in the greedy build (every block draws the same token from the same logits),
//   faster than lstm_resident1 for the same tokens (docs/PERFORMANCE.md#resident-kernel-sampled-one-stream-build).
// Why one buffer per layer (and one for the logits) suffices: before block A overwrites a word of step t with step
// t + 1, every block B has read it. A publishes layer k of step t + 1 only after its token, i.e. after reading step t's
// logits, each published after its block read every block's top layer of step t, which B published after reading
// layer k of step t. A publishes its logits of step t + 1 only after reading B's top layer of step t + 1, which B
// published after reading step t's logits. The one-stream generation builds' speculated words of step t + 1 are
// written after the writer read every block's top layer of step t, which each block published after reading the
// speculated words of step t (with one layer that top layer is layer 0 itself, so they do not publish speculated words
// then).
// - the critical path of a step is: gather h of layer k -> W_k+1 x (the input half of the next layer's dot) -> cell
//   update -> publish -> ... -> gather the top layer -> projection row -> publish -> gather the logits -> sampling ->
//   publish layer 0's h. Layer 0's cell update is speculated for every token while the logits travel (its gates are a
//   table entry plus the recurrent half), so that once the token is drawn its h is only read and published. The recurrent
//   halves R_k h_k are computed while an exchange is in flight (right after the block publishes the layer above, or
//   layer 0 of the next step), from the h every block already holds; layer 0's input half is the table entry.
// Arithmetic as the persistent kernel's, but each gate is base + (input dot + recurrent dot), each dot a fmaf chain per
// lane and a butterfly, IEEE expf/tanhf, the cell update rounded as the CPU engine rounds.
// Every wait on another block is bounded (RES_MAX_POLLS): a word that never comes traps, so the host sees a failed
// launch (a CudaException; the CUDA context is lost) instead of a hang.
#ifdef RES_H

#define RES_ROWS (4 * RES_U)
#define RES_WARPS RES_ROWS
#define RES_THREADS (32 * RES_ROWS)
#define RES_C0 (RES_H / 32)                 // weights per lane of a row half (W or R) of one layer
#define RES_GRID (RES_H / RES_U)            // blocks
#define RES_FR ((RES_V + RES_GRID - 1) / RES_GRID)   // projection rows per block (at most one per warp)
#define RES_MAX_POLLS (1u << 26)
// Words of the h exchange per 128-byte line (ResidentLayout.ExchangeWords leaves room for 1): the rest of each line
// stays unused, so that the lines every block polls spread over more L2 slices. One stream (512 words a layer for the
// seed shape): 4, i.e. 128 lines of 32 bytes each, the fastest of 1 to 16; the 2-4 stream build keeps them packed
// (4 words a line made batch 2 and 4 slower; docs/PERFORMANCE.md#resident-kernel-exchange-layout).
#ifndef RES_HS1
#define RES_HS1 4
#endif
#ifndef RES_HSN
#define RES_HSN 16
#endif

#ifndef RES_SPEC_PUB
// Greedy build: 1 publishes layer 0's speculated h for every token (a word per unit and token, laid out like the h
// exchange) while the logits travel; once the token is drawn every block reads that token's words, which are already
// in L2, instead of waiting for each block to draw the token and publish its units. 0: each block publishes its units'
// h once it has the token, which is slower (docs/PERFORMANCE.md#resident-kernel-speculated-layer-0).
#define RES_SPEC_PUB 1
#endif

#ifndef RES_SAMPLE_WAIT
// One stream, sampled (the general build): 1 makes the warps other than warp 0 wait at a named barrier until it has
// drawn the token and published its units of layer 0, instead of polling for layer 0's h meanwhile (their polls cannot
// succeed before then, and they share the memory pipes with warp 0's sampler); slightly faster
// (docs/PERFORMANCE.md#resident-kernel-sampled-wait).
#define RES_SAMPLE_WAIT 1
#endif

#ifndef RES_LOGIT_STRIDE
// Words between two logits in the exchange (ResidentLayout.ExchangeWords allows 16): one logit per 128-byte line, so
// that every block polling a few lines does not queue at one L2 slice (docs/PERFORMANCE.md#resident-kernel-exchange-layout).
#define RES_LOGIT_STRIDE 16
#endif
// 1 / y rounded to nearest is __frcp_rn(y): the same bits as sigmoidf_, without the general division.
__device__ __forceinline__ float res_sigmoid(float x) { return __frcp_rn(1.0f + expf(-x)); }

#if RES_H % 32 != 0 || RES_H % RES_U != 0 || RES_FR > RES_WARPS
#error "RES_H must be a multiple of 32 and of RES_U, and the projection rows must fit one per warp (ResidentLayout.TryCreate)"
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

// Reads n (at most N) tagged words, waiting for each to carry `epoch`, and hands each value to `store` (shared memory
// or the thread's registers). All of a thread's loads are issued before it waits on the first, so a gather costs one
// round trip once the values are there.
// Word idx is at src[(idx / S) * STRIDE + idx % S]. T threads take part, `me` in [0, T).
template <int N, int S, int STRIDE, int T, typename Store>
__device__ __forceinline__ void gather_words(const u64* src, int n, unsigned int epoch, int me, Store store)
{
    constexpr int POLL = (N + T - 1) / T;
    u64 v[POLL];
#pragma unroll
    for (int i = 0; i < POLL; ++i)
    {
        const int idx = me + i * T;
        v[i] = idx < n ? ld_relaxed_u64(src + (idx / S) * STRIDE + idx % S) : (u64)epoch << 32;
    }
#pragma unroll
    for (int i = 0; i < POLL; ++i)
    {
        const int idx = me + i * T;
        unsigned int polls = 0;
        while ((unsigned int)(v[i] >> 32) != epoch)
        {
            v[i] = ld_relaxed_u64(src + (idx / S) * STRIDE + idx % S);
            // A word that never arrives (a bug, or a block that cannot run) must not hang the process: after ~2^26
            // polls (tens of seconds) the launch fails and the host gets a CudaException instead.
            if (++polls == RES_MAX_POLLS) __trap();
        }
        store(i, idx, __uint_as_float((unsigned int)v[i]));
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

// gather_words' store for words that go to shared memory: word idx to dst[idx], when idx < n.
struct to_smem
{
    float* dst;
    int n;
    __device__ to_smem(float* d, int count) : dst(d), n(count) {}
    __device__ __forceinline__ void operator()(int, int idx, float x) const { if (idx < n) dst[idx] = x; }
};

// gather_words' store for words that stay in registers: the i-th word of the thread to dst[i].
template <int N>
struct to_regs
{
    float (&dst)[N];
    __device__ to_regs(float (&d)[N]) : dst(d) {}
    __device__ __forceinline__ void operator()(int i, int, float x) const { dst[i] = x; }
};

// f(K) for K = FIRST, ..., LAST - 1 in order, each call inlined with its K as a constant.
template <int FIRST, int LAST, typename F>
__device__ __forceinline__ void res_unroll(F& f)
{
    if constexpr (FIRST < LAST)
    {
        f(FIRST);
        res_unroll<FIRST + 1, LAST>(f);
    }
}

#define RES_LN ((RES_V + 31) / 32)          // logits per lane when one warp holds them all
// The greedy token (the first index of the largest logit; TOKEN_NONFINITE when a logit is NaN or +infinity or none is
// finite: sample_stream's greedy rule) from logits in registers, lane l holding indices l, l + 32, ...: two warp
// reductions on order-preserving integer keys instead of five rounds of two shuffles. -0 is keyed as +0 because the two
// compare equal.
__device__ __forceinline__ int argmax_regs(const float (&x)[RES_LN], int lane)
{
    int best = (int)0x80000000, bi = 0x7fffffff;
    bool bad = false, fin = false;
#pragma unroll
    for (int j = 0; j < RES_LN; ++j)
    {
        const int i = lane + 32 * j;
        const float v = x[j];
        int b = __float_as_int(v);
        if (b == (int)0x80000000) b = 0;
        const int key = b >= 0 ? b : b ^ 0x7fffffff;
        if (i < RES_V && v == v && key > best) { best = key; bi = i; }
        if (i < RES_V) { bad |= !(v <= 3.402823466e38f); fin |= v >= -3.402823466e38f; }
    }
    if (__any_sync(FULL_MASK, bad) || !__any_sync(FULL_MASK, fin)) return TOKEN_NONFINITE;
    int m;
    asm volatile("redux.sync.max.s32 %0, %1, 0xffffffff;" : "=r"(m) : "r"(best));
    unsigned int r;
    asm volatile("redux.sync.min.u32 %0, %1, 0xffffffff;" : "=r"(r) : "r"(best == m ? (unsigned int)bi : 0x7fffffffu));
    return r == 0x7fffffffu ? 0 : (int)r;
}

// Shared memory, in floats (ResidentLayout.SharedBytes): the block's projection rows [FR][H] and their biases [FR]
// (rounded up to 4), the block's rows of layer 0's input table [V][ROWS], the block's biases of the layers above
// [L-1][ROWS], every layer's h [L][B][H], gate pre-activations [B][ROWS], logits [B][V] (rounded up to 4), sampling
// scratch [sampling warps][3V] (every warp samples when MB == 1, else warp s samples stream s), tokens [B]. MB bounds
// the streams (B <= MB): the per-stream accumulators are unrolled. GEN builds a one-stream kernel for generation without
// per-step logits only (the host launches it for exactly those calls): no Feed path, and layer 0's speculated h
// published ahead (PUB); GREEDY (with GEN) one for greedy generation: no sampler either, so that its step loop is a
// third of the general one's code.
template <int MB, bool GREEDY, bool GEN>
__device__ __forceinline__ void resident_run(const RunParams& p)
{
    extern __shared__ __align__(16) float smem[];
    constexpr int V = RES_V;
    const int B = MB == 1 ? 1 : p.streams;
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int u0 = blockIdx.x * RES_U;
    float* fcw = smem;
    float* fcb = fcw + RES_FR * RES_H;
    float* tab = fcb + ((RES_FR + 3) & ~3);
    float* bias = tab + V * RES_ROWS;
    float* hs = bias + (RES_L - 1) * RES_ROWS;
    float* gates = hs + RES_L * B * RES_H;
    float* lg = gates + B * RES_ROWS;
    float* ws = lg + ((B * V + 3) & ~3);
    int* tok = reinterpret_cast<int*>(ws + (MB == 1 ? RES_WARPS : min(B, RES_WARPS)) * 3 * V);
    // Layer 0 of the next step for every token a stream may draw, computed while the logits travel: activated gates
    // [B][V][ROWS], then new c and h [B][V][U] each, from the layer's c [B][U].
    float* spec_g = reinterpret_cast<float*>(tok + B);
    float* spec_c = spec_g + B * V * RES_ROWS;
    float* spec_h = spec_c + B * V * RES_U;
    float* c0s = spec_h + B * V * RES_U;
    float* rp0s = c0s + B * RES_U;      // [B][ROWS] layer 0's recurrent halves of the next step
    // Projection row v of this warp (v = block + warp * blocks), when v < V; its logits are exchanged like h.
    const int fv = blockIdx.x + warp * RES_GRID;
    // Layer k's h words: word idx (stream q, unit u: idx = q * H + u) at xh(k) + (idx / HS) * 16 + idx % HS.
    constexpr int HS = MB == 1 ? RES_HS1 : RES_HSN;
    auto xh = [&](int k) -> u64* { return p.exchange + (i64)k * B * (RES_H / HS) * 16; };
    auto xh_at = [&](int k, int idx) -> u64* { return xh(k) + (idx / HS) * 16 + idx % HS; };
    u64* xlogits = xh(RES_L);
    // The generation builds' speculated layer 0 (RES_SPEC_PUB): token v's words at xspec + v * SPEC_TOKW. Only with two
    // or more layers: with one, layer 0 is the top layer, so a block's speculated words of step t (which the others read
    // as step t + 1's top layer) go out before it has read step t's logits, and another block could publish step
    // t + 1's logits over a word it has not read yet (the GPU suite's 1 x 64 test trapped in that wait before this).
    constexpr bool PUB = GEN && RES_SPEC_PUB != 0 && RES_L > 1;
    constexpr int SPEC_TOKW = (RES_H / HS) * 16;
    // One stream: the warps other than warp 0 wait until it has drawn the token (and, without PUB, published its units
    // of layer 0) before they poll for layer 0's h, which cannot arrive before that anyway.
    constexpr bool WAIT0 = MB == 1 && (PUB || (!GREEDY && RES_SAMPLE_WAIT != 0));
    u64* const xspec = xlogits + ((B * V * RES_LOGIT_STRIDE + 15) & ~15);

    // This warp's gate row in every layer: its input half (layers above 0) and its recurrent half.
    const int gate = warp / RES_U;
    const int row = gate * RES_H + u0 + (warp - gate * RES_U);
    float wr[RES_L][RES_C0];
    float wx[RES_L > 1 ? RES_L - 1 : 1][RES_C0];
#pragma unroll
    for (int i = 0; i < RES_C0; ++i) wr[0][i] = p.layers[0].wr[(i64)row * RES_H + lane + 32 * i];
#pragma unroll
    for (int k = 1; k < RES_L; ++k)
#pragma unroll
        for (int i = 0; i < RES_C0; ++i)
        {
            wx[k - 1][i] = p.layers[k].wr[(i64)row * 2 * RES_H + lane + 32 * i];
            wr[k][i] = p.layers[k].wr[(i64)row * 2 * RES_H + RES_H + lane + 32 * i];
        }

    for (int i = tid; i < RES_FR * RES_H; i += RES_THREADS)
    {
        const int v = blockIdx.x + (i / RES_H) * RES_GRID;
        fcw[i] = v < V ? p.fc_w[(i64)v * RES_H + i % RES_H] : 0.0f;
    }
    for (int i = tid; i < RES_FR; i += RES_THREADS)
    {
        const int v = blockIdx.x + i * RES_GRID;
        fcb[i] = v < V ? p.fc_b[v] : 0.0f;
    }
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
    static_assert(!GEN || MB == 1, "the generate-only builds are for one stream");
    static_assert(!GREEDY || GEN, "the greedy build is generate-only");
    const bool generating = GEN || p.tokens_in == 0;
    if (generating)
        for (int i = tid; i < B * V; i += RES_THREADS) lg[i] = p.logits[i];
    // The cell this thread updates (the first B * U threads): stream cq, unit u0 + cu, its c in a register per layer.
    const int cq = tid / RES_U, cu = tid - cq * RES_U;
    const bool owner = tid < B * RES_U;
    float creg[RES_L];
#pragma unroll
    for (int k = 0; k < RES_L; ++k) creg[k] = owner ? p.c[((i64)k * B + cq) * RES_H + u0 + cu] : 0.0f;
    __syncthreads();

    // Dot of this warp's row half w with the staged vectors v of every stream; lane q keeps stream q's sum.
    auto dot = [&](const float (&w)[RES_C0], const float* v) -> float
    {
        float acc[MB];
#pragma unroll
        for (int q = 0; q < MB; ++q)
        {
            acc[q] = 0.0f;
            if (q < B)
            {
                // Two chains (even and odd columns) halve the dependent fmaf latency.
                float a0 = 0.0f, a1 = 0.0f;
#pragma unroll
                for (int i = 0; i < RES_C0; i += 2)
                {
                    a0 = fmaf(w[i], v[q * RES_H + lane + 32 * i], a0);
                    if (i + 1 < RES_C0) a1 = fmaf(w[i + 1], v[q * RES_H + lane + 32 * (i + 1)], a1);
                }
                acc[q] = warp_sum(a0 + a1);
            }
        }
        return pick_lane<MB>(acc, lane);
    };
    // The recurrent halves R_k h_k (lane q: stream q), from the h the block holds.
    float rpart[RES_L];
#pragma unroll
    for (int k = 0; k < RES_L; ++k) rpart[k] = dot(wr[k], hs + k * B * RES_H);

    // Each warp activates its own gate row (tanh for j, the sigmoid for i, f, o) so that the cell update that follows
    // the barrier has only its own arithmetic left.
    const bool tanh_gate = gate == 1;
    auto set_gate = [&](int q, float pre) { gates[q * RES_ROWS + warp] = tanh_gate ? tanhf(pre) : res_sigmoid(pre); };
    // The cell update of layer k from the activated gates, then publishing its h.
    auto update = [&](int k, unsigned int epoch)
    {
        if (owner)
        {
            const float* gs = gates + cq * RES_ROWS;
            const float ig = gs[cu];
            const float cg = gs[RES_U + cu];
            const float fg = gs[2 * RES_U + cu];
            const float og = gs[3 * RES_U + cu];
            // c' = c * f + i * j; h' = tanh(c') * o, rounded as the CPU engine rounds (no contraction).
            const float cv = __fadd_rn(__fmul_rn(creg[k], fg), __fmul_rn(ig, cg));
            creg[k] = cv;
            if (k == 0) c0s[tid] = cv;
            const float hv = __fmul_rn(tanhf(cv), og);
            st_relaxed_u64(xh_at(k, cq * RES_H + u0 + cu), ((u64)epoch << 32) | __float_as_uint(hv));
        }
    };
    // Layer 0 of the next step for every token: the same arithmetic as set_gate and update, for all V tokens at once,
    // by `count` threads of the block, `me` in [0, count) (the whole block, or warps that do not gather the logits:
    // then it runs while the logits travel). Reads the recurrent halves from rp0s and c from c0s; the cells it writes
    // are read after the barrier that ends the logits' gather.
    auto speculate = [&](int me, int count, unsigned int pub_epoch)
    {
        // Both loops stay rolled: a shorter step is fetched faster, and they run only two or three rounds anyway.
#pragma unroll 1
        for (int e = me; e < B * V * RES_ROWS; e += count)
        {
            // Gate-major order (stream, gate, token, unit), so that a warp's lanes mostly take the same activation.
            const int q = e / (V * RES_ROWS), r = e - q * V * RES_ROWS, g = r / (V * RES_U), rem = r - g * V * RES_U;
            const int v = rem / RES_U, j = g * RES_U + (rem - v * RES_U);
            const int i = (q * V + v) * RES_ROWS + j;
            const float pre = tab[v * RES_ROWS + j] + rp0s[q * RES_ROWS + j];
            spec_g[i] = j / RES_U == 1 ? tanhf(pre) : res_sigmoid(pre);
        }
        if (count == RES_THREADS) __syncthreads();
        else asm volatile("bar.sync 1, %0;" :: "r"(count) : "memory");
#pragma unroll 1
        for (int i = me; i < B * V * RES_U; i += count)
        {
            const int q = i / (V * RES_U), u = i % RES_U;
            const float* gs = spec_g + (i / RES_U) * RES_ROWS;
            const float cv = __fadd_rn(__fmul_rn(c0s[q * RES_U + u], gs[2 * RES_U + u]), __fmul_rn(gs[u], gs[RES_U + u]));
            spec_c[i] = cv;
            const float hv = __fmul_rn(tanhf(cv), gs[3 * RES_U + u]);
            if constexpr (PUB)
            {
                // One stream: i = token * U + unit, so a warp's stores cover whole 32-byte runs of a few lines.
                const int unit = u0 + u;
                st_relaxed_u64(xspec + (i / RES_U) * SPEC_TOKW + (unit / HS) * 16 + unit % HS,
                               ((u64)pub_epoch << 32) | __float_as_uint(hv));
            }
            else spec_h[i] = hv;
        }
    };
    // Layer 0 from the speculated cells once the token of each stream is known (owner threads): keep c, publish h.
    auto commit = [&](int picked, unsigned int epoch)
    {
        const int at = (cq * V + picked) * RES_U + cu;
        creg[0] = spec_c[at];
        c0s[tid] = creg[0];
        if (!PUB) st_relaxed_u64(xh_at(0, cq * RES_H + u0 + cu), ((u64)epoch << 32) | __float_as_uint(spec_h[at]));
    };
    if (owner) c0s[tid] = creg[0];
    if (lane < B) rp0s[lane * RES_ROWS + warp] = rpart[0];
    __syncthreads();
    if (generating) speculate(tid, RES_THREADS, p.epoch);
    __syncthreads();
    // The greedy-only build: warp 0 holds the logits in registers, gathers them there and takes the argmax itself (at
    // the top of the next step, after the barrier that ends the speculation, which is a little faster than right after
    // the gather), while the other warps speculate layer 0 and go on without waiting for it (no block barrier on that
    // path). Each warp keeps its projection row in registers too, as the greedy build has registers to spare
    // (docs/PERFORMANCE.md#resident-kernel-greedy-build).
    float lreg[RES_LN];
    float fcr[RES_C0];
    if constexpr (GREEDY)
    {
#pragma unroll
        for (int j = 0; j < RES_LN; ++j) lreg[j] = lane + 32 * j < V ? lg[lane + 32 * j] : 0.0f;
#pragma unroll
        for (int i = 0; i < RES_C0; ++i) fcr[i] = warp < RES_FR ? fcw[warp * RES_H + lane + 32 * i] : 0.0f;
    }
    // Column lane + 32 i of the warp's projection row `fr`.
    auto fc_at = [&](const float* fr, int i) -> float
    {
        if constexpr (GREEDY) return fcr[i];
        else return fr[lane + 32 * i];
    };

#ifdef RES_PROFILE
    // Benchmarks only (CharRnn.Benchmarks.Gpu --profile): block 0's cycles per phase, summed over the launch's steps.
    long long prof[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    long long mark = clock64();
#define RES_MARK(i) if (tid == 0) { const long long now = clock64(); prof[i] += now - mark; mark = now; }
#else
#define RES_MARK(i)
#endif

    int cur_tok = 0;    // RES_SPEC_PUB: the step's token, in every warp once it reaches layer 0's gather
    for (int t = 0; t < p.steps; ++t)
    {
        const unsigned int epoch = p.epoch + (unsigned int)t;
        // Layer 0's gates: the table entry of the step's token plus the recurrent half. When generating, the token
        // comes from the logits the block computed: with one stream every warp samples it itself (no barrier).
        if (generating)
        {
            if (MB == 1)
            {
                // Warp 0 holds the owners: it samples and commits; the other warps go on to the next dot.
                if (warp == 0)
                {
                    int out;
                    if constexpr (GREEDY) out = argmax_regs(lreg, lane);
                    else out = sample_stream<true>(p, lg, 0, t, ws, lane);
                    if (tid == 0 && blockIdx.x == 0) p.tokens_out[t] = out;
                    const int picked = fed_token(out);
                    if constexpr (PUB)
                    {
                        // The other warps wait for the token at layer 0's gather (after their first dot).
                        if (lane == 0) tok[0] = picked;
                        cur_tok = picked;
                        asm volatile("bar.arrive 4, %0;" :: "r"(RES_THREADS) : "memory");
                    }
                    if (owner) commit(picked, epoch);
                    if constexpr (WAIT0 && !PUB) asm volatile("bar.arrive 4, %0;" :: "r"(RES_THREADS) : "memory");
                }
            }
            else
            {
                for (int s = warp; s < B; s += RES_WARPS)
                {
                    const int picked = sample_stream<true>(p, lg + s * V, s, t, ws + warp * 3 * V, lane);
                    if (lane == 0)
                    {
                        tok[s] = fed_token(picked);
                        if (blockIdx.x == 0) p.tokens_out[(i64)t * B + s] = picked;
                    }
                }
                __syncthreads();
                if (owner) commit(tok[cq], epoch);
            }
        }
        else if constexpr (!GEN)
        {
            if (lane < B) set_gate(lane, tab[p.tokens_in[(i64)t * B + lane] * RES_ROWS + warp] + rpart[0]);
            __syncthreads();
            update(0, epoch);
        }
        RES_MARK(0)

        // The layers, unrolled by hand (res_unroll calls `layer` with each k as a constant): left to `#pragma unroll`,
        // the greedy build's loop stayed rolled and kept the per-layer registers (c, recurrent halves) in local memory.
        auto layer = [&](int k) __attribute__((always_inline))
        {
            // While layer k's words travel: the recurrent half that waits longest for its next use.
            if (k > 0) rpart[k - 1] = dot(wr[k - 1], hs + (k - 1) * B * RES_H);
            else if (RES_L > 1) rpart[RES_L - 1] = dot(wr[RES_L - 1], hs + (RES_L - 1) * B * RES_H);
            if (k == 1 && lane < B) rp0s[lane * RES_ROWS + warp] = rpart[0];
            if (WAIT0 && generating && k == 0 && warp != 0)
            {
                asm volatile("bar.sync 4, %0;" :: "r"(RES_THREADS) : "memory");
                if (PUB) cur_tok = tok[0];
            }
            gather_words<MB * RES_H, HS, 16, RES_THREADS>(PUB && k == 0 ? xspec + cur_tok * SPEC_TOKW : xh(k), B * RES_H, epoch, tid, to_smem(hs + k * B * RES_H, B * RES_H));
            __syncthreads();
            RES_MARK(1 + 2 * k)
            if (k + 1 < RES_L)
            {
                // Layer k + 1: bias + (W x + R h), x = the h just gathered.
                const float xpart = dot(wx[k], hs + k * B * RES_H);
                RES_MARK(4)
                if (lane < B) set_gate(lane, bias[k * RES_ROWS + warp] + (xpart + rpart[k + 1]));
                // The cells are updated by warp 0 alone (the owners): the other warps go on to the next dot.
                if (warp == 0) asm volatile("bar.sync 3, %0;" :: "r"(RES_THREADS) : "memory");
                else asm volatile("bar.arrive 3, %0;" :: "r"(RES_THREADS) : "memory");
                RES_MARK(5)
                update(k + 1, epoch);
                RES_MARK(2 + 2 * k)
            }
        };
        res_unroll<0, RES_L>(layer);
        if (RES_L == 1)
        {
            rpart[0] = dot(wr[0], hs);
            if (lane < B) rp0s[lane * RES_ROWS + warp] = rpart[0];
            __syncthreads();
        }

        // Projection (needed every step when generating or when logits are requested per step; a plain Feed needs it
        // only after its last step): each warp computes its row's logit of every stream and publishes it; every block
        // then gathers all logits, so that each samples the same tokens itself.
        if (generating || p.logits_out != 0 || t + 1 == p.steps)
        {
            if (fv < V)
            {
                const float* hl = hs + (RES_L - 1) * B * RES_H;
                const float* fr = fcw + warp * RES_H;
                for (int q = 0; q < B; ++q)
                {
                    float a0 = 0.0f, a1 = 0.0f;
#pragma unroll
                    for (int i = 0; i < RES_C0; i += 2)
                    {
                        a0 = fmaf(fc_at(fr, i), hl[q * RES_H + lane + 32 * i], a0);
                        if (i + 1 < RES_C0) a1 = fmaf(fc_at(fr, i + 1), hl[q * RES_H + lane + 32 * (i + 1)], a1);
                    }
                    const float a = warp_sum(a0 + a1);
                    // CPU order: dot + bias.
                    if (lane == 0) st_relaxed_u64(xlogits + (q * V + fv) * RES_LOGIT_STRIDE, ((u64)epoch << 32) | __float_as_uint(a + fcb[warp]));
                }
            }
            RES_MARK(6)
            // The warps that gather the logits and those that speculate work side by side when there are enough warps.
            constexpr int PW = (MB * V + 31) / 32;
            const bool spec = generating && t + 1 < p.steps;
            if constexpr (GREEDY)
            {
                if (warp == 0)
                {
                    gather_words<RES_LN * 32, 1, RES_LOGIT_STRIDE, 32>(xlogits, V, epoch, lane, to_regs<RES_LN>(lreg));
                    asm volatile("bar.sync 2, %0;" :: "r"(RES_THREADS) : "memory");
                }
                else
                {
                    if (spec) speculate(tid - 32, RES_THREADS - 32, epoch + 1);
                    asm volatile("bar.arrive 2, %0;" :: "r"(RES_THREADS) : "memory");
                }
                RES_MARK(7)
                continue;
            }
            if (spec && PW < RES_WARPS)
            {
                if (warp < PW) gather_words<MB * V, 1, RES_LOGIT_STRIDE, PW * 32>(xlogits, B * V, epoch, tid, to_smem(lg, B * V));
                else speculate(tid - PW * 32, RES_THREADS - PW * 32, epoch + 1);
            }
            else
            {
                if (spec) speculate(tid, RES_THREADS, epoch + 1);
                gather_words<MB * V, 1, RES_LOGIT_STRIDE, RES_THREADS>(xlogits, B * V, epoch, tid, to_smem(lg, B * V));
            }
            __syncthreads();
            if (blockIdx.x == 0 && p.logits_out)
                for (int i = tid; i < B * V; i += RES_THREADS) p.logits_out[(i64)t * B * V + i] = lg[i];
        }
        RES_MARK(7)
    }
#ifdef RES_PROFILE
    if (blockIdx.x == 0 && tid == 0)
        for (int i = 0; i < 8; ++i) reinterpret_cast<long long*>(p.scratch)[i] = prof[i];
#endif

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
    if constexpr (GREEDY)
    {
        if (blockIdx.x == 0 && warp == 0)
#pragma unroll
            for (int j = 0; j < RES_LN; ++j)
                if (lane + 32 * j < V) p.logits[lane + 32 * j] = lreg[j];
    }
    else if (blockIdx.x == 0)
        for (int i = tid; i < B * V; i += RES_THREADS) p.logits[i] = lg[i];
}

// One stream (the latency case) gets its own build so that nothing is unrolled for streams it does not have.
#if EMITS(GROUP_RESIDENT1)
extern "C" __global__ void __launch_bounds__(RES_THREADS, 1) lstm_resident1(const RunParams p) { resident_run<1, false, false>(p); }
#endif
// One stream, generation without per-step logits (CudaEngineSession.Launch), greedy and sampled: the latency case's own
// builds.
#if EMITS(GROUP_RESIDENT1_GREEDY)
extern "C" __global__ void __launch_bounds__(RES_THREADS, 1) lstm_resident1g(const RunParams p) { resident_run<1, true, true>(p); }
#endif
#if EMITS(GROUP_RESIDENT1_SAMPLED)
extern "C" __global__ void __launch_bounds__(RES_THREADS, 1) lstm_resident1s(const RunParams p) { resident_run<1, false, true>(p); }
#endif
#if EMITS(GROUP_RESIDENT4)
extern "C" __global__ void __launch_bounds__(RES_THREADS, 1) lstm_resident4(const RunParams p) { resident_run<4, false, false>(p); }   // ResidentLayout.StreamLimit
#endif

#endif
