// Persistent char-rnn LSTM kernel: one cooperative launch runs a whole Feed (prime) or Generate(N) loop.
// Compiled by NVRTC at engine build; no headers are included (NVRTC on user machines may lack toolkit headers).
//
// Per step: [sample the next token from the logits when generating] -> for each layer: gates of the block's units for
// every stream (dot products of [W|R] rows with [x|h] staged in shared memory), cell update, grid barrier -> FC rows of
// the block for every stream, grid barrier. Each block owns the same hidden units in every layer (so the four gates of a
// unit and its c stay in one block) and a slice of the vocabulary rows; its weight rows stay in shared memory when they
// fit. h is double-buffered ([2][L][B][H]) because other blocks still read the old h while new h is written.
// Arithmetic is float32 with explicit fmaf accumulation and IEEE expf/tanhf (no fast-math): logits stay within 1e-5
// relative of the CPU engine (FACTS.md section 2 for the cell; TokenSampler.cs for the sampling rule).

typedef unsigned long long u64;
typedef long long i64;

#define THREADS 256
#define WARPS (THREADS / 32)
#define MAX_REDUNDANT_STREAMS 8   // CudaInferenceEngine.RedundantSamplingStreams
#define FULL_MASK 0xffffffffu
#define MAX_LAYERS 16
#define RB 2        // weight rows per warp pass
#define SBMAX 8     // streams per stage chunk (register blocking)

// Which kernels this compilation emits: NVRTC compiles one program on one thread, so the host compiles the kernels as
// several programs at once, each with KERNEL_GROUP set to one of these (KernelGroup in KernelModule.cs, same names and
// numbers). Every program holds all the helpers; NVRTC drops the ones its kernels do not call.
#define GROUP_PERSISTENT 1                  // lstm_run
#define GROUP_TILED 2                       // the float32 many-stream kernels
#define GROUP_SAMPLER 3                     // sample_batch
#define GROUP_RESIDENT1 4                   // lstm_resident.cu's kernels, one each
#define GROUP_RESIDENT1_GREEDY 5
#define GROUP_RESIDENT1_SAMPLED 6
#define GROUP_RESIDENT4 7
#define GROUP_TENSOR_CORE_LAYERS 8          // lstm_tensorcore.cu's mma.sync layer tiles
#define GROUP_TENSOR_CORE_PROJECTIONS 9     // lstm_tensorcore.cu's projections, sampler and h conversions
#define GROUP_TENSOR_CORE_WARPGROUP 10      // lstm_tensorcore.cu's wgmma layer tiles
#define EMITS(group) (KERNEL_GROUP == (group))

struct LayerWeights
{
    const float* wr;    // [4H][width]: layer 0: R; layer k > 0: [W | R] concatenated per row
    const float* bias;  // [4H]: Wb + Rb (unused for layer 0: folded into the input table)
    int width;          // H for layer 0, I + H above
    int pad;
};

struct RunParams
{
    const LayerWeights* layers;
    const float* table;       // [V][4H]: layer 0's W x + Wb + Rb per character
    const float* fc_w;        // [V][H]
    const float* fc_b;        // [V]
    float* h;                 // [2][L][B][H]
    float* c;                 // [L][B][H]
    float* logits;            // [B][V]
    float* logits_out;        // [steps][B][V] or null
    const int* tokens_in;     // [steps][B] (feed) or null (generate)
    int* tokens_out;          // [steps][B] (generate)
    int* cur_tokens;          // [B]
    float* scratch;           // [grid][WARPS][3V] sampling scratch when it does not fit in shared memory
    unsigned int* barrier;    // [1]: arrivals since the launch began (zeroed by the host before each launch)
    u64* exchange;            // resident kernel: [L][B][H] h values tagged with their step's epoch (lstm_resident.cu)
    u64 seed;
    i64 counter;
    float temperature;
    float top_p;
    int top_k;
    int layer_count;
    int hidden;
    int vocab;
    int streams;
    int steps;
    int parity;
    int units_per_block;
    int vocab_per_block;
    int weights_in_smem;
    int stage_streams;
    int max_width;
    int redundant_sampling;
    int stage_floats;           // floats of the stage region (>= stage_streams * max_width and >= 3V per warp)
    int scratch_in_smem;        // sampling scratch in the stage region (else in global scratch)
    unsigned int epoch;         // resident kernel: epoch of this launch's first step (the session's step count + 1)
};

__device__ __forceinline__ unsigned int ld_acquire(const unsigned int* p)
{
    unsigned int v;
    asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
    return v;
}

__device__ __forceinline__ void red_release_add(unsigned int* p, unsigned int v)
{
    asm volatile("red.release.gpu.global.add.u32 [%0], %1;" :: "l"(p), "r"(v) : "memory");
}

// Grid-wide barrier in global memory (the launch is cooperative, so all blocks are co-resident). The host zeroes the
// counter before each launch; barrier n completes when the counter reaches n * blocks. Arrival is a fire-and-forget
// release reduction and waiting one acquire load per poll: the fewest round trips to L2 per barrier. The comparison
// is wrap-safe, so long launches may overflow the counter.
__device__ __forceinline__ void grid_barrier(unsigned int* bar, unsigned int blocks, unsigned int& target)
{
    __syncthreads();
    if (threadIdx.x == 0)
    {
        target += blocks;
        red_release_add(bar, 1u);
        // Bounded: a block that never arrives fails the launch (a CudaException on the host) instead of hanging.
        unsigned int polls = 0;
        while ((int)(ld_acquire(bar) - target) < 0)
            if (++polls == (1u << 26)) __trap();
    }
    __syncthreads();
}

__device__ __forceinline__ u64 mix64(u64 z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// CounterRng.Uniform: SplitMix64's finalizer applied twice, 24 random bits.
__device__ __forceinline__ float counter_uniform(u64 seed, int stream, i64 counter)
{
    u64 x = mix64(seed + 0x9E3779B97F4A7C15ULL * ((u64)(unsigned int)stream + 1ULL));
    u64 r = mix64(x ^ ((u64)counter * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL));
    return (float)(r >> 40) * (1.0f / 16777216.0f);
}

__device__ __forceinline__ float warp_sum(float v)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ float sigmoidf_(float x) { return 1.0f / (1.0f + expf(-x)); }

// Logits written by other blocks are read through L2 (__ldcg); the resident kernel's own copy lives in shared memory.
template <bool SharedLogits>
__device__ __forceinline__ float load_logit(const float* lg, int i) { return SharedLogits ? lg[i] : __ldcg(lg + i); }

// The largest vocabulary that sample_stream keeps in registers (32 lanes x SAMPLE_REGS_MAX values); larger ones take
// sample_stream_smem. A build for one model (RES_V defined) instantiates only the size it needs.
#define SAMPLE_REGS_MAX 8

// The token a sampler reports for logits without a finite maximum (a NaN, a +infinity, or only -infinity), where
// TokenSampler throws: it goes to the output row only (the host turns it into NonFiniteLogitsException), while the
// token fed to the next step is fed_token's 0, so that no kernel indexes a table with it.
#define TOKEN_NONFINITE (-1)
__device__ __forceinline__ int fed_token(int token) { return token < 0 ? 0 : token; }

// Index i's weight as a sortable key: non-negative floats order as their bits; -1 past the vocabulary.
__device__ __forceinline__ bool key_positive(int key) { return key > 0 && key <= 0x7f800000; }

// dst[i] = src[0] + ... + src[i] for i < n, added by lane 0 in index order (the CPU's sequential order), 8 at a time
// while the next 8 load, so that the loads' latency hides behind the dependent adds; every lane gets the total. Faster
// than loading each 8 before adding them, for the same tokens (docs/PERFORMANCE.md#sampler-running-sums).
__device__ __forceinline__ float running_sums(const float* __restrict__ src, float* __restrict__ dst, int n, int lane)
{
    float total = 0.0f;
    if (lane == 0)
    {
        float v[8];
#pragma unroll
        for (int q = 0; q < 8; ++q) v[q] = q < n ? src[q] : 0.0f;
        for (int i0 = 0; i0 < n; i0 += 8)
        {
            float next[8];
#pragma unroll
            for (int q = 0; q < 8; ++q) next[q] = i0 + 8 + q < n ? src[i0 + 8 + q] : 0.0f;
#pragma unroll
            for (int q = 0; q < 8; ++q)
            {
                total += v[q];
                if (i0 + q < n) dst[i0 + q] = total;
                v[q] = next[q];
            }
        }
    }
    return __shfl_sync(FULL_MASK, total, 0);
}

// Sorts 32 x NS keys across the warp, largest first, as signed integers (weights' bits order as the weights; -1 pads):
// position 32 j + l ends in lane l's v[j]. A bitonic network: strides below 32 exchange through shuffles, longer ones
// between a lane's own slots, so the longest dependent chain is 25 shuffles for 128 keys (the rank count it replaced
// waited on one shuffle per key).
template <int NS>
__device__ __forceinline__ void warp_sort_descending(int (&v)[NS], int lane)
{
#pragma unroll
    for (int size = 2; size <= 32 * NS; size <<= 1)
    {
#pragma unroll
        for (int d = size >> 1; d > 0; d >>= 1)
        {
#pragma unroll
            for (int j = 0; j < NS; ++j)
            {
                // Runs of `size` positions alternate between descending and ascending; the last run is all of them.
                const bool down = ((32 * j + lane) & size) == 0;
                if (d >= 32)
                {
                    const int q = j ^ (d >> 5);
                    if (q > j)
                    {
                        const int a = v[j], b = v[q];
                        v[j] = down ? max(a, b) : min(a, b);
                        v[q] = down ? min(a, b) : max(a, b);
                    }
                }
                else
                {
                    const int o = __shfl_xor_sync(FULL_MASK, v[j], d);
                    v[j] = ((lane & d) == 0) == down ? max(v[j], o) : min(v[j], o);
                }
            }
        }
    }
}

// TokenSampler.Sample for one stream, by one warp, with the stream's weights in registers: lane l holds indices
// l, l + 32, ..., l + 32 (N - 1). The top-k / top-p cut sorts the weights (warp_sort_descending); the sums that the CPU
// does sequentially (the top-k total, whose partial sums are also the top-p prefix, and the kept total, whose partial
// sums are also the draw's running sum) are one chain each, done by lane 0 in the CPU's order on values it loads ahead
// of the adds, so the float results match the rule bit for bit (up to expf's rounding). VC: the vocabulary when known
// at compile time (RES_V), else 0 (p.vocab). Scratch: 3V floats.
template <bool SharedLogits, int N, int VC>
__device__ int sample_stream_regs(const RunParams& p, const float* lg, int s, int t, float* ws, int lane)
{
    const int V = VC > 0 ? VC : p.vocab;
    const unsigned int lower = (1u << lane) - 1u;
    float mx = __int_as_float(0xff800000);
    bool nan = false;
    int key[N];
#pragma unroll
    for (int j = 0; j < N; ++j)
    {
        const int i = lane + 32 * j;
        const float x = i < V ? load_logit<SharedLogits>(lg, i) : __int_as_float(0xff800000);
        nan |= x != x;
        mx = fmaxf(mx, x);
        key[j] = __float_as_int(x);
    }
    for (int o = 16; o > 0; o >>= 1) mx = fmaxf(mx, __shfl_xor_sync(FULL_MASK, mx, o));
    // TensorPrimitives.Max propagates NaN: with a NaN logit or a maximum that is not finite TokenSampler throws.
    if (__any_sync(FULL_MASK, nan) || !(fabsf(mx) <= 3.402823466e38f)) return TOKEN_NONFINITE;
    const float invT = 1.0f / p.temperature;
#pragma unroll
    for (int j = 0; j < N; ++j)
        key[j] = lane + 32 * j < V ? __float_as_int(expf((__int_as_float(key[j]) - mx) * invT)) : -1;

    const bool cutK = p.top_k > 0 && p.top_k < V;
    const bool cutP = p.top_p < 1.0f;
    bool kept[N];
#pragma unroll
    for (int j = 0; j < N; ++j) kept[j] = key[j] >= 0;
    if (cutK || cutP)
    {
        const int k = cutK ? p.top_k : V;
        // The weights in rank order (largest first; equal weights are equal values, so their order among themselves
        // does not change the sums), their running sums (lane 0, the CPU's order: the last is the top-k total), then
        // the shortest prefix reaching top_p times the total.
        constexpr int NS = N <= 1 ? 1 : N <= 2 ? 2 : N <= 4 ? 4 : 8;
        int order[NS];
#pragma unroll
        for (int j = 0; j < NS; ++j) order[j] = j < N ? key[j] : -1;
        warp_sort_descending<NS>(order, lane);
        int m = k;
        int cut;   // the m-th largest weight
        if (k <= 32)
        {
            // Positions 0-31 are lanes' order[0]: lane 0 takes them by shuffles and keeps their running sums in
            // registers, which is faster than going through scratch memory as below
            // (docs/PERFORMANCE.md#sampler-top-k-in-registers).
            float w[32];
#pragma unroll
            for (int r = 0; r < 32; ++r) w[r] = __shfl_sync(FULL_MASK, __int_as_float(order[0]), r);
            if (lane == 0)
            {
                float total = 0.0f;
#pragma unroll
                for (int r = 0; r < 32; ++r)
                {
                    if (r < k) total += w[r];
                    w[r] = total;
                }
                const float threshold = __fmul_rn(cutP ? p.top_p : 1.0f, total);
#pragma unroll
                for (int r = 31; r >= 0; --r)
                    if (r < k && w[r] >= threshold) m = r + 1;
            }
            m = __shfl_sync(FULL_MASK, m, 0);
            cut = __shfl_sync(FULL_MASK, order[0], m - 1);
        }
        else
        {
            float* sorted = ws;
            float* prefix = ws + V;
            __syncwarp();
#pragma unroll
            for (int j = 0; j < NS; ++j)
                if (32 * j + lane < k) sorted[32 * j + lane] = __int_as_float(order[j]);
            __syncwarp();
            const float total = running_sums(sorted, prefix, k, lane);
            const float threshold = __fmul_rn(cutP ? p.top_p : 1.0f, total);
            __syncwarp();
            for (int r0 = 0; r0 < k; r0 += 32)
            {
                const unsigned int hit = __ballot_sync(FULL_MASK, r0 + lane < k && prefix[r0 + lane] >= threshold);
                if (hit != 0u) { m = r0 + __ffs(hit); break; }
            }
            cut = __float_as_int(sorted[m - 1]);
        }
        // The first m in rank order (weight descending, index ascending): every weight above the m-th largest, and
        // as many of the weights equal to it as are left, lowest indices first.
        unsigned int equal[N];
        int room = m;
#pragma unroll
        for (int j = 0; j < N; ++j)
        {
            room -= __popc(__ballot_sync(FULL_MASK, key[j] > cut));
            equal[j] = __ballot_sync(FULL_MASK, key[j] == cut);
        }
        // One kept index of weight 1 (the maximum's): the draw picks it whatever the uniform.
        if (m == 1 && cut == 0x3f800000)
        {
#pragma unroll
            for (int j = 0; j < N; ++j)
                if (equal[j] != 0u) return 32 * j + __ffs(equal[j]) - 1;
        }
#pragma unroll
        for (int j = 0; j < N; ++j)
        {
            kept[j] = kept[j] && (key[j] > cut || (key[j] == cut && __popc(equal[j] & lower) < room));
            room -= __popc(equal[j]);
        }
    }

    // The draw: the kept positive weights packed in index order, their running sums (lane 0; the last is the kept
    // total), the first index whose running sum exceeds u * total, else the last kept index.
    unsigned int any[N];
    int pos[N];
    int count = 0;
#pragma unroll
    for (int j = 0; j < N; ++j)
    {
        kept[j] = kept[j] && key_positive(key[j]);
        any[j] = __ballot_sync(FULL_MASK, kept[j]);
        pos[j] = count + __popc(any[j] & lower);
        count += __popc(any[j]);
    }
    if (count == 0) return 0;
    float* packed = ws + 2 * V;
    float* running = ws;
    __syncwarp();
#pragma unroll
    for (int j = 0; j < N; ++j)
        if (kept[j]) packed[pos[j]] = __int_as_float(key[j]);
    __syncwarp();
    const float total = running_sums(packed, running, count, lane);
    const float target = __fmul_rn(counter_uniform(p.seed, s, p.counter + t), total);
    __syncwarp();
#pragma unroll
    for (int j = 0; j < N; ++j)
    {
        const unsigned int hit = __ballot_sync(FULL_MASK, kept[j] && running[pos[j]] > target);
        if (hit != 0u) return 32 * j + __ffs(hit) - 1;
    }
#pragma unroll
    for (int j = N - 1; j >= 0; --j)
        if (any[j] != 0u) return 32 * j + 31 - __clz(any[j]);
    return 0;
}

// TokenSampler.Sample for one stream, by one warp, for vocabularies too large for sample_stream_regs: weights in
// scratch memory, ranks by scanning it, sums done sequentially by lane 0 in the CPU's order. Scratch: weights [V],
// weights sorted by rank [V], rank of each index [V].
template <bool SharedLogits>
__device__ int sample_stream_smem(const RunParams& p, const float* lg, int s, int t, float* ws, int lane)
{
    const int V = p.vocab;
    float* sorted = ws + V;
    int* rank = reinterpret_cast<int*>(ws + 2 * V);
    float mx = __int_as_float(0xff800000);
    bool bad = false;    // a NaN or +infinity: TokenSampler throws
    bool fin = false;    // a finite logit: without one the maximum is -infinity and TokenSampler throws
    for (int i = lane; i < V; i += 32)
    {
        const float x = load_logit<SharedLogits>(lg, i);
        bad |= !(x <= 3.402823466e38f);
        fin |= x >= -3.402823466e38f;
        mx = fmaxf(mx, x);
    }
    for (int o = 16; o > 0; o >>= 1) mx = fmaxf(mx, __shfl_xor_sync(FULL_MASK, mx, o));
    if (__any_sync(FULL_MASK, bad) || !__any_sync(FULL_MASK, fin)) return TOKEN_NONFINITE;
    const float invT = 1.0f / p.temperature;
    for (int i = lane; i < V; i += 32) ws[i] = expf((load_logit<SharedLogits>(lg, i) - mx) * invT);
    __syncwarp();
    const bool cutK = p.top_k > 0 && p.top_k < V;
    const bool cutP = p.top_p < 1.0f;
    if (cutK || cutP)
    {
        const int k = cutK ? p.top_k : V;
        const float pp = cutP ? p.top_p : 1.0f;
        for (int i = lane; i < V; i += 32)
        {
            float wi = ws[i];
            int r = 0;
#pragma unroll 8
            for (int j = 0; j < V; ++j)
            {
                float wj = ws[j];
                r += (wj > wi || (wj == wi && j < i)) ? 1 : 0;
            }
            rank[i] = r;
            sorted[r] = wi;
        }
        __syncwarp();
        int m = k;
        if (lane == 0)
        {
            float total = 0.0f;
#pragma unroll 8
            for (int r = 0; r < k; ++r) total += sorted[r];
            float threshold = pp * total;
            float acc = 0.0f;
#pragma unroll 8
            for (int r = 0; r < k; ++r)
            {
                acc += sorted[r];
                if (acc >= threshold) { m = r + 1; break; }
            }
        }
        m = __shfl_sync(FULL_MASK, m, 0);
        for (int i = lane; i < V; i += 32)
        {
            if (rank[i] >= m) ws[i] = 0.0f;
        }
        __syncwarp();
    }
    int pick = -1;
    if (lane == 0)
    {
        float total = 0.0f;
        int last = -1;
#pragma unroll 8
        for (int i = 0; i < V; ++i)
        {
            float w = ws[i];
            if (w > 0.0f) { total += w; last = i; }
        }
        float u = counter_uniform(p.seed, s, p.counter + t);
        float target = __fmul_rn(u, total);
        float acc = 0.0f;
        pick = last;
#pragma unroll 8
        for (int i = 0; i < V; ++i)
        {
            float w = ws[i];
            if (w > 0.0f)
            {
                acc += w;
                if (acc > target) { pick = i; break; }
            }
        }
    }
    pick = __shfl_sync(FULL_MASK, pick, 0);
    __syncwarp();
    return pick < 0 ? 0 : pick;
}

// TokenSampler.Sample for one stream, by one warp: greedy here, otherwise sample_stream_regs for vocabularies of up to
// 32 x SAMPLE_REGS_MAX, sample_stream_smem above. Scratch: 3V floats.
template <bool SharedLogits>
__device__ int sample_stream(const RunParams& p, const float* lg, int s, int t, float* ws, int lane)
{
    const int V = p.vocab;
    if (p.temperature == 0.0f)
    {
        float best = __int_as_float(0xff800000);
        int bi = 0x7fffffff;
        bool bad = false, fin = false;   // as in sample_stream_smem: NaN or +infinity; some finite logit
        for (int i = lane; i < V; i += 32)
        {
            float v = load_logit<SharedLogits>(lg, i);
            bad |= !(v <= 3.402823466e38f);
            fin |= v >= -3.402823466e38f;
            if (v > best || (v == best && i < bi)) { best = v; bi = i; }
        }
        for (int o = 16; o > 0; o >>= 1)
        {
            float ob = __shfl_xor_sync(FULL_MASK, best, o);
            int oi = __shfl_xor_sync(FULL_MASK, bi, o);
            if (ob > best || (ob == best && oi < bi)) { best = ob; bi = oi; }
        }
        if (__any_sync(FULL_MASK, bad) || !__any_sync(FULL_MASK, fin)) return TOKEN_NONFINITE;
        return bi == 0x7fffffff ? 0 : bi;
    }
#ifdef RES_V
#define SAMPLE_N ((RES_V + 31) / 32)
#if SAMPLE_N <= SAMPLE_REGS_MAX
    // RES_V is the vocabulary of the engine compiled with it, so every launch of these kernels has V == RES_V and
    // needs no other sampler: without the scratch-memory one the seed shape's lstm_resident1 is 82 KB of code instead of
    // 99 (NVRTC 12.4).
    return sample_stream_regs<SharedLogits, SAMPLE_N, RES_V>(p, lg, s, t, ws, lane);
#endif
#else
    if (V <= 64) return sample_stream_regs<SharedLogits, 2, 0>(p, lg, s, t, ws, lane);
    if (V <= 96) return sample_stream_regs<SharedLogits, 3, 0>(p, lg, s, t, ws, lane);
    if (V <= 128) return sample_stream_regs<SharedLogits, 4, 0>(p, lg, s, t, ws, lane);
    if (V <= 256) return sample_stream_regs<SharedLogits, SAMPLE_REGS_MAX, 0>(p, lg, s, t, ws, lane);
#endif
    return sample_stream_smem<SharedLogits>(p, lg, s, t, ws, lane);
}

// Dot products of up to RB weight rows with up to SBMAX staged streams, register-blocked so that each weight and each
// staged value is read from shared memory once per warp pass. Every lane ends with every sum.
__device__ __forceinline__ void rows_dot(const float* w0, const float* w1, const float* stage, int stride, int n, int sn,
                                         int lane, bool vec, float (&acc)[RB][SBMAX])
{
#pragma unroll
    for (int a = 0; a < RB; ++a)
#pragma unroll
        for (int q = 0; q < SBMAX; ++q) acc[a][q] = 0.0f;
    if (vec)
    {
        const float4* a4 = reinterpret_cast<const float4*>(w0);
        const float4* b4 = reinterpret_cast<const float4*>(w1);
        for (int i = lane; i < (n >> 2); i += 32)
        {
            const float4 x0 = a4[i];
            const float4 x1 = b4[i];
#pragma unroll
            for (int q = 0; q < SBMAX; ++q)
            {
                if (q < sn)
                {
                    const float4 h = reinterpret_cast<const float4*>(stage + q * stride)[i];
                    acc[0][q] = fmaf(x0.x, h.x, acc[0][q]);
                    acc[0][q] = fmaf(x0.y, h.y, acc[0][q]);
                    acc[0][q] = fmaf(x0.z, h.z, acc[0][q]);
                    acc[0][q] = fmaf(x0.w, h.w, acc[0][q]);
                    acc[1][q] = fmaf(x1.x, h.x, acc[1][q]);
                    acc[1][q] = fmaf(x1.y, h.y, acc[1][q]);
                    acc[1][q] = fmaf(x1.z, h.z, acc[1][q]);
                    acc[1][q] = fmaf(x1.w, h.w, acc[1][q]);
                }
            }
        }
    }
    else
    {
        for (int i = lane; i < n; i += 32)
        {
            const float x0 = w0[i];
            const float x1 = w1[i];
#pragma unroll
            for (int q = 0; q < SBMAX; ++q)
            {
                if (q < sn)
                {
                    const float h = stage[q * stride + i];
                    acc[0][q] = fmaf(x0, h, acc[0][q]);
                    acc[1][q] = fmaf(x1, h, acc[1][q]);
                }
            }
        }
    }
#pragma unroll
    for (int a = 0; a < RB; ++a)
#pragma unroll
        for (int q = 0; q < SBMAX; ++q)
            if (q < sn) acc[a][q] = warp_sum(acc[a][q]);
}

// Stages [x | h] of streams [s0, s0 + sn) into rows of `stride` floats: x (width - H columns, from x_src, may be null
// when width == H) then h (H columns, from h_src). Both are read through L2 (other blocks wrote them). Each thread
// issues all its loads before its first store, so a chunk costs one L2 round trip, not one per stream.
__device__ __forceinline__ void stage_chunk(float* stage, int stride, const float* x_src, const float* h_src, int width,
                                            int H, int s0, int sn, int tid)
{
    const int xw = width - H;
    if ((H & 3) == 0 && (stride & 3) == 0)
    {
        const int w4 = width >> 2, x4 = xw >> 2;
        const int total = sn * w4;
        for (int base = 0; base < total; base += THREADS * 8)
        {
            float4 v[8];
#pragma unroll
            for (int u = 0; u < 8; ++u)
            {
                const int idx = base + u * THREADS + tid;
                if (idx < total)
                {
                    const int sl = idx / w4, c = idx - sl * w4;
                    const i64 s = s0 + sl;
                    v[u] = c < x4 ? __ldcg(reinterpret_cast<const float4*>(x_src + s * H) + c)
                                  : __ldcg(reinterpret_cast<const float4*>(h_src + s * H) + (c - x4));
                }
            }
#pragma unroll
            for (int u = 0; u < 8; ++u)
            {
                const int idx = base + u * THREADS + tid;
                if (idx < total)
                {
                    const int sl = idx / w4, c = idx - sl * w4;
                    reinterpret_cast<float4*>(stage + sl * stride)[c] = v[u];
                }
            }
        }
    }
    else
    {
        const int total = sn * width;
        for (int base = 0; base < total; base += THREADS * 8)
        {
            float v[8];
#pragma unroll
            for (int u = 0; u < 8; ++u)
            {
                const int idx = base + u * THREADS + tid;
                if (idx < total)
                {
                    const int sl = idx / width, c = idx - sl * width;
                    const i64 s = s0 + sl;
                    v[u] = c < xw ? __ldcg(x_src + s * H + c) : __ldcg(h_src + s * H + (c - xw));
                }
            }
#pragma unroll
            for (int u = 0; u < 8; ++u)
            {
                const int idx = base + u * THREADS + tid;
                if (idx < total)
                {
                    const int sl = idx / width, c = idx - sl * width;
                    stage[sl * stride + c] = v[u];
                }
            }
        }
    }
}

// The constant part of a gate pre-activation: layer 0's table entry for the stream's token, or the layer's bias.
__device__ __forceinline__ float gate_base(const RunParams& p, int k, int t, int s, int r, const int* stok, bool generating,
                                           const float* bias)
{
    if (k > 0) return bias[r];
    const int tok = !generating ? p.tokens_in[(i64)t * p.streams + s]
        : (p.redundant_sampling ? stok[s] : __ldcg(p.cur_tokens + s));
    return p.table[(i64)tok * 4 * p.hidden + r];
}

#if EMITS(GROUP_PERSISTENT)
extern "C" __global__ void __launch_bounds__(THREADS, 1) lstm_run(const RunParams p)
{
    extern __shared__ __align__(16) float smem[];
    __shared__ LayerWeights layer_desc[MAX_LAYERS];
    const int H = p.hidden, B = p.streams, V = p.vocab, L = p.layer_count;
    const int UPB = p.units_per_block, VPB = p.vocab_per_block, SB = p.stage_streams, MW = p.max_width;
    const int rows = 4 * UPB;
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int blk = blockIdx.x;
    const unsigned int G = gridDim.x;
    const int u0 = blk * UPB;
    const int v0 = blk * VPB;
    if (tid < L) layer_desc[tid] = p.layers[tid];
    __syncthreads();

    // Shared memory: [weights of the block's rows, all layers, then its FC rows] [stage] [gates SB x rows] [tokens]
    i64 wfloats = 0;
    if (p.weights_in_smem)
    {
        for (int k = 0; k < L; ++k) wfloats += (i64)rows * layer_desc[k].width;
        wfloats += (i64)VPB * H;
        wfloats = (wfloats + 3) & ~3LL;
    }
    float* stage = smem + wfloats;
    float* gates = stage + p.stage_floats;
    int* stok = reinterpret_cast<int*>(gates + (((i64)SB * rows + 3) & ~3LL));

    if (p.weights_in_smem)
    {
        float* dst = smem;
        for (int k = 0; k < L; ++k)
        {
            const int width = layer_desc[k].width;
            const float* src = layer_desc[k].wr;
            for (int j = 0; j < rows; ++j)
            {
                const int g = j / UPB, u = u0 + (j - g * UPB);
                const float* from = src + ((i64)g * H + u) * width;
                for (int col = tid; col < width; col += THREADS) dst[(i64)j * width + col] = u < H ? from[col] : 0.0f;
            }
            dst += (i64)rows * width;
        }
        for (int jv = 0; jv < VPB; ++jv)
        {
            const int v = v0 + jv;
            for (int col = tid; col < H; col += THREADS) dst[(i64)jv * H + col] = v < V ? p.fc_w[(i64)v * H + col] : 0.0f;
        }
    }
    unsigned int barrier_target = 0;
    __syncthreads();

    float* ws = p.scratch_in_smem ? stage + warp * 3 * V : p.scratch + ((i64)blk * WARPS + warp) * 3 * V;
    const bool generating = p.tokens_in == 0;
    const i64 LBH = (i64)L * B * H;
    int parity = p.parity;

    for (int t = 0; t < p.steps; ++t)
    {
        const float* hcur = p.h + parity * LBH;
        float* hnext = p.h + (parity ^ 1) * LBH;

        if (generating)
        {
            // Few streams: every block samples every stream itself (identical results), saving a grid barrier; more:
            // each stream once, in the grid. One call site, so the sampler is compiled into this kernel once: against a
            // loop and a call for each, the kernel compiles faster and runs faster
            // (docs/PERFORMANCE.md#persistent-kernel-one-sampler-call-site).
            const bool redundant = p.redundant_sampling != 0;
            for (int s = redundant ? warp : blk * WARPS + warp; s < B; s += redundant ? WARPS : G * WARPS)
            {
                int tok = sample_stream<false>(p, p.logits + (i64)s * V, s, t, ws, lane);
                if (lane == 0)
                {
                    if (redundant) stok[s] = fed_token(tok);
                    else p.cur_tokens[s] = fed_token(tok);
                    if (!redundant || blk == 0) p.tokens_out[(i64)t * B + s] = tok;
                }
            }
            if (redundant) __syncthreads();
            else grid_barrier(p.barrier, G, barrier_target);
        }

        i64 woffset = 0;
        for (int k = 0; k < L; ++k)
        {
            const int width = layer_desc[k].width;
            const bool vec = ((width & 3) == 0) && ((MW & 3) == 0);
            const float* hk_old = hcur + (i64)k * B * H;
            const float* x_new = k > 0 ? hnext + (i64)(k - 1) * B * H : 0;
            float* hk_new = hnext + (i64)k * B * H;
            float* ck = p.c + (i64)k * B * H;
            const float* wsm = smem + woffset;
            const float* wgl = layer_desc[k].wr;
            const float* bias = layer_desc[k].bias;
            for (int s0 = 0; s0 < B; s0 += SB)
            {
                const int sn = min(SB, B - s0);
                // Prefetch this thread's first cell state so that its latency hides behind the staging and the dots.
                float cpre = 0.0f;
                if (tid < sn * UPB)
                {
                    const int sl = tid / UPB, u = u0 + (tid - sl * UPB);
                    if (u < H) cpre = ck[(i64)(s0 + sl) * H + u];
                }
                // The first row group's constant parts (bias, or layer 0's table entry for the sampled token), loaded
                // before the staging so that both latencies overlap.
                const int myA = lane / SBMAX, myQ = lane - myA * SBMAX;
                float base0 = 0.0f;
                if (warp * RB < rows)
                {
                    const int j = warp * RB + (myA & 1);
                    const int g = j / UPB, u = u0 + (j - g * UPB);
                    if (lane < RB * SBMAX && myQ < sn && j < rows && u < H) base0 = gate_base(p, k, t, s0 + myQ, g * H + u, stok, generating, bias);
                }
                stage_chunk(stage, MW, x_new, hk_old, width, H, s0, sn, tid);
                __syncthreads();
                for (int j0 = warp * RB; j0 < rows; j0 += WARPS * RB)
                {
                    int rr[RB];
                    bool ok[RB];
                    const float* wr[RB];
#pragma unroll
                    for (int a = 0; a < RB; ++a)
                    {
                        const int j = j0 + a;
                        const int g = j / UPB, u = u0 + (j - g * UPB);
                        ok[a] = j < rows && u < H;
                        rr[a] = g * H + u;
                        wr[a] = !ok[a] ? (p.weights_in_smem ? wsm : wgl)
                            : (p.weights_in_smem ? wsm + (i64)j * width : wgl + (i64)rr[a] * width);
                    }
                    float base = base0;
                    if (j0 != warp * RB && lane < RB * SBMAX && myQ < sn && ok[myA])
                    {
                        base = gate_base(p, k, t, s0 + myQ, myA == 0 ? rr[0] : rr[1], stok, generating, bias);
                    }
                    float acc[RB][SBMAX];
                    rows_dot(wr[0], wr[1], stage, MW, width, sn, lane, vec, acc);
#pragma unroll
                    for (int a = 0; a < RB; ++a)
#pragma unroll
                        for (int q = 0; q < SBMAX; ++q)
                            if (lane == a * SBMAX + q && q < sn && ok[a]) gates[q * rows + j0 + a] = base + acc[a][q];
                }
                __syncthreads();
                for (int idx = tid; idx < sn * UPB; idx += THREADS)
                {
                    const int sl = idx / UPB, jj = idx - sl * UPB, u = u0 + jj;
                    if (u >= H) continue;
                    const i64 at = (i64)(s0 + sl) * H + u;
                    const float* gs = gates + sl * rows;
                    float ig = sigmoidf_(gs[jj]);
                    float cg = tanhf(gs[UPB + jj]);
                    float fg = sigmoidf_(gs[2 * UPB + jj]);
                    float og = sigmoidf_(gs[3 * UPB + jj]);
                    const float cold = idx == tid ? cpre : ck[at];
                    // c' = c * f + i * j; h' = tanh(c') * o, rounded as the CPU engine rounds (no contraction).
                    float cv = __fadd_rn(__fmul_rn(cold, fg), __fmul_rn(ig, cg));
                    ck[at] = cv;
                    hk_new[at] = __fmul_rn(tanhf(cv), og);
                }
                __syncthreads();
            }
            woffset += (i64)rows * width;
            grid_barrier(p.barrier, G, barrier_target);
        }

        // Output projection: this block's vocabulary rows for every stream. Needed every step when generating or when
        // logits are requested per step; a plain Feed (a prime) needs it only after its last step.
        const bool need_fc = generating || p.logits_out != 0 || t + 1 == p.steps;
        if (need_fc && v0 < V)
        {
            const float* hl = hnext + (i64)(L - 1) * B * H;
            const bool vec = ((H & 3) == 0) && ((MW & 3) == 0);
            const float* wsm = smem + woffset;
            for (int s0 = 0; s0 < B; s0 += SB)
            {
                const int sn = min(SB, B - s0);
                stage_chunk(stage, MW, 0, hl, H, H, s0, sn, tid);
                __syncthreads();
                for (int j0 = warp * RB; j0 < VPB; j0 += WARPS * RB)
                {
                    int vv[RB];
                    bool ok[RB];
                    const float* wr[RB];
#pragma unroll
                    for (int a = 0; a < RB; ++a)
                    {
                        const int jv = j0 + a;
                        vv[a] = v0 + jv;
                        ok[a] = jv < VPB && vv[a] < V;
                        wr[a] = !ok[a] ? (p.weights_in_smem ? wsm : p.fc_w)
                            : (p.weights_in_smem ? wsm + (i64)jv * H : p.fc_w + (i64)vv[a] * H);
                    }
                    float base = 0.0f;
                    const int myA = lane / SBMAX, myQ = lane - myA * SBMAX;
                    if (lane < RB * SBMAX && myQ < sn && ok[myA]) base = p.fc_b[myA == 0 ? vv[0] : vv[1]];
                    float acc[RB][SBMAX];
                    rows_dot(wr[0], wr[1], stage, MW, H, sn, lane, vec, acc);
#pragma unroll
                    for (int a = 0; a < RB; ++a)
#pragma unroll
                        for (int q = 0; q < SBMAX; ++q)
                            if (lane == a * SBMAX + q && q < sn && ok[a])
                            {
                                const i64 s = s0 + q;
                                // CPU order: dot + bias.
                                const float val = acc[a][q] + base;
                                p.logits[s * V + vv[a]] = val;
                                if (p.logits_out) p.logits_out[((i64)t * B + s) * V + vv[a]] = val;
                            }
                }
                __syncthreads();
            }
        }
        parity ^= 1;
        if (need_fc && t + 1 < p.steps) grid_barrier(p.barrier, G, barrier_target);
    }
}
#endif

// ---------------------------------------------------------------------------------------------------------------------
// Throughput path for many streams: per step one sampling launch, one tiled matrix-matrix launch per layer with the
// cell update fused into its epilogue, and one projection launch, queued back to back on the session's stream.
// gates[B][4H] = base + [x | h] W^T, where W's rows are ordered on the host unit by unit (the gates i, j, f, o of unit
// 0, then of unit 1, ...), so that each thread's output columns are all four gates of two units: the thread then
// updates those cells from registers.
// Rows are zero-padded to a multiple of 128 columns and to a multiple of GBK in K, so weight tiles need no bounds.
// Every output is float32 fmaf chains over K (no tensor cores), then base + sum as the CPU engine.

#define GBK 16

// x, h and w hold 16-bit values instead of floats for the tensor-core kernels with 16-bit operands (lstm_tensorcore.cu).
struct GemmParams
{
    const float* x;        // [B][xw] (layer input, the layer below's new h) or null when xw == 0
    const float* h;        // [B][H] (this layer's old h, or the last layer's new h for the projection)
    const float* w;        // [np][kp] permuted, zero-padded weights
    const float* base;     // LSTM: bias [np] (tokens null) or input table [V][np]; projection: bias [n]
    const int* tokens;     // [B] token of each stream (layer 0) or null
    float* c;              // [B][H] cell state (LSTM)
    float* out;            // LSTM: new h [B][H]; projection: logits [B][n]
    float* out2;           // projection: per-step logits copy [B][n] or null
    unsigned short* out16; // tensor cores with 16-bit operands, LSTM: new h narrowed [B][H] (instead of out)
    int streams;
    int xw;
    int hidden;
    int k;                 // xw + hidden
    int kp;
    int np;
    int n;                 // projection: output columns (vocabulary)
    int aligned;           // xw and hidden are multiples of 16 bytes' worth of elements (16-byte loads of [x | h])
    int early;             // tensor cores, greedy steps (lstm_tensorcore.cu, tc_wgmma_lstm): the wgmma layer may read its
                           // own old h before waiting for the previous kernel; the greedy projection, which precedes
                           // layer 0, then signals the next kernel only after its wait
    int pad;
};

// BM x BN output tile per block, TM x 8 outputs per thread, K split over KS slices of threads (slice q takes K tiles
// q, q + KS, ...; their partial sums are added in slice order, so results do not depend on timing). A thread's 8
// columns are two groups of 4 at tx * 4 and BN / 2 + tx * 4 (conflict-free float4 reads); with the host's row order
// (row r = gate r % 4 of unit r / 4) each group is the four gates of one unit.
template <int BM, int BN, int TM, int KS, bool LSTM>
__device__ __forceinline__ void gemm_step(const GemmParams& g)
{
    constexpr int TN = 8;
    constexpr int TX = BN / TN, TY = BM / TM, NT = TX * TY;
    constexpr int LA = BM * GBK / 4 / NT, LB = BN * GBK / 4 / NT;
    static_assert(LA * NT * 4 == BM * GBK && LB * NT * 4 == BN * GBK, "tile loads must divide evenly");
    constexpr int AS = BM + 4, BS = BN + 4;   // padded rows: fewer bank conflicts on the transposing stores
    constexpr int SLICE = 2 * GBK * (AS + BS);
    // Dynamic: max(KS * SLICE, (KS - 1) * NT * TM * TN) floats, the K slices' tiles or their partial sums
    // (CudaInferenceEngine.GemmSharedBytes).
    extern __shared__ __align__(16) float sm[];
    const int slice = threadIdx.x / NT, tid = threadIdx.x % NT, tx = tid % TX, ty = tid / TX;
    float* As = sm + slice * SLICE;           // [2][GBK][AS]
    float* Bs = As + 2 * GBK * AS;            // [2][GBK][BS]
    const int tilesN = (g.np + BN - 1) / BN;
    const int n0 = (blockIdx.x % tilesN) * BN, m0 = (blockIdx.x / tilesN) * BM;
    const int B = g.streams, H = g.hidden, xw = g.xw, K = g.k;

    float4 ra[LA], rb[LB];
    auto load = [&](int k0)
    {
#pragma unroll
        for (int l = 0; l < LA; ++l)
        {
            const int f = tid + l * NT, m = f / (GBK / 4), kk = (f % (GBK / 4)) * 4;
            const i64 s = m0 + m;
            const int kg = k0 + kk;
            float4 v;
            v.x = v.y = v.z = v.w = 0.0f;
            if (s < B)
            {
                if (g.aligned)
                {
                    if (kg < K) v = kg < xw ? __ldcg(reinterpret_cast<const float4*>(g.x + s * xw + kg))
                                            : __ldcg(reinterpret_cast<const float4*>(g.h + s * H + (kg - xw)));
                }
                else
                {
                    float e[4];
#pragma unroll
                    for (int q = 0; q < 4; ++q)
                    {
                        const int kq = kg + q;
                        e[q] = kq >= K ? 0.0f : kq < xw ? __ldcg(g.x + s * xw + kq) : __ldcg(g.h + s * H + (kq - xw));
                    }
                    v.x = e[0]; v.y = e[1]; v.z = e[2]; v.w = e[3];
                }
            }
            ra[l] = v;
        }
#pragma unroll
        for (int l = 0; l < LB; ++l)
        {
            const int f = tid + l * NT, nn = f / (GBK / 4), kk = (f % (GBK / 4)) * 4;
            rb[l] = __ldg(reinterpret_cast<const float4*>(g.w + (i64)(n0 + nn) * g.kp + k0 + kk));
        }
    };
    auto store = [&](int buf)
    {
        float* a = As + buf * GBK * AS;
        float* b = Bs + buf * GBK * BS;
#pragma unroll
        for (int l = 0; l < LA; ++l)
        {
            const int f = tid + l * NT, m = f / (GBK / 4), kk = (f % (GBK / 4)) * 4;
            a[kk * AS + m] = ra[l].x; a[(kk + 1) * AS + m] = ra[l].y; a[(kk + 2) * AS + m] = ra[l].z; a[(kk + 3) * AS + m] = ra[l].w;
        }
#pragma unroll
        for (int l = 0; l < LB; ++l)
        {
            const int f = tid + l * NT, nn = f / (GBK / 4), kk = (f % (GBK / 4)) * 4;
            b[kk * BS + nn] = rb[l].x; b[(kk + 1) * BS + nn] = rb[l].y; b[(kk + 2) * BS + nn] = rb[l].z; b[(kk + 3) * BS + nn] = rb[l].w;
        }
    };

    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;

    const int tiles = g.kp / GBK;
    const int rounds = (tiles + KS - 1) / KS;
    if (slice < tiles)
    {
        load(slice * GBK);
        store(0);
    }
    __syncthreads();
    for (int r = 0; r < rounds; ++r)
    {
        const int kt = r * KS + slice, buf = r & 1;
        const bool next = kt + KS < tiles;
        if (next) load((kt + KS) * GBK);
        if (kt < tiles)
        {
            const float* a = As + buf * GBK * AS + ty * TM;
            const float* b = Bs + buf * GBK * BS + tx * 4;
#pragma unroll
            for (int kk = 0; kk < GBK; ++kk)
            {
                float av[TM], bv[TN];
#pragma unroll
                for (int i = 0; i < TM; ++i) av[i] = a[kk * AS + i];
                const float4 b0 = *reinterpret_cast<const float4*>(b + kk * BS);
                const float4 b1 = *reinterpret_cast<const float4*>(b + kk * BS + BN / 2);
                bv[0] = b0.x; bv[1] = b0.y; bv[2] = b0.z; bv[3] = b0.w; bv[4] = b1.x; bv[5] = b1.y; bv[6] = b1.z; bv[7] = b1.w;
#pragma unroll
                for (int i = 0; i < TM; ++i)
#pragma unroll
                    for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
            }
        }
        if (next) store(buf ^ 1);
        __syncthreads();
    }
    if (KS > 1)
    {
        // The tiles are no longer read (barrier above): their memory holds the partial sums of slices 1..KS-1.
        if (slice > 0)
        {
#pragma unroll
            for (int i = 0; i < TM; ++i)
#pragma unroll
                for (int j = 0; j < TN; ++j) sm[((slice - 1) * TM * TN + i * TN + j) * NT + tid] = acc[i][j];
        }
        __syncthreads();
        if (slice > 0) return;
        for (int q = 1; q < KS; ++q)
#pragma unroll
            for (int i = 0; i < TM; ++i)
#pragma unroll
                for (int j = 0; j < TN; ++j) acc[i][j] += sm[((q - 1) * TM * TN + i * TN + j) * NT + tid];
    }

#pragma unroll
    for (int i = 0; i < TM; ++i)
    {
        const i64 s = m0 + ty * TM + i;
        if (s >= B) continue;
        if (LSTM)
        {
            const float* base = g.tokens ? g.base + (i64)g.tokens[s] * g.np : g.base;
#pragma unroll
            for (int half = 0; half < 2; ++half)
            {
                const int col = n0 + half * (BN / 2) + tx * 4;
                const int u = col >> 2;
                if (u >= H) continue;
                const float ig = sigmoidf_(base[col] + acc[i][half * 4]);
                const float cg = tanhf(base[col + 1] + acc[i][half * 4 + 1]);
                const float fg = sigmoidf_(base[col + 2] + acc[i][half * 4 + 2]);
                const float og = sigmoidf_(base[col + 3] + acc[i][half * 4 + 3]);
                const i64 at = s * H + u;
                // c' = c * f + i * j; h' = tanh(c') * o, rounded as the CPU engine rounds (no contraction).
                const float cv = __fadd_rn(__fmul_rn(g.c[at], fg), __fmul_rn(ig, cg));
                g.c[at] = cv;
                g.out[at] = __fmul_rn(tanhf(cv), og);
            }
        }
        else
        {
#pragma unroll
            for (int j = 0; j < TN; ++j)
            {
                const int col = n0 + (j >> 2) * (BN / 2) + tx * 4 + (j & 3);
                if (col >= g.n) continue;
                // CPU order: dot + bias.
                const float val = acc[i][j] + g.base[col];
                g.out[s * g.n + col] = val;
                if (g.out2) g.out2[s * g.n + col] = val;
            }
        }
    }
}

#if EMITS(GROUP_TILED)
// Many streams: 128 x 128 tiles (a 16 x 16 thread grid of 8 x 8 outputs), two blocks per multiprocessor (faster than
// one at 4096 streams: docs/PERFORMANCE.md#float32-tiles).
extern "C" __global__ void __launch_bounds__(256, 2) lstm_gemm_large(const GemmParams g) { gemm_step<128, 128, 8, 1, true>(g); }
// Fewer streams: 32 x 32 tiles, K split eight ways so that more warps share the latency-bound K loop.
extern "C" __global__ void __launch_bounds__(512) lstm_gemm_small(const GemmParams g) { gemm_step<32, 32, 2, 8, true>(g); }
extern "C" __global__ void __launch_bounds__(512) fc_gemm(const GemmParams g) { gemm_step<32, 32, 2, 8, false>(g); }
#endif

// One warp per stream: TokenSampler's rule on the stream's logits (p.counter is this step's counter), the token goes to
// p.cur_tokens (the next layer-0 launch reads it) and to p.tokens_out (this step's row).
__device__ __forceinline__ void sample_rows(const RunParams& p)
{
    extern __shared__ __align__(16) float sample_smem[];
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int s = blockIdx.x * WARPS + warp;
    if (s >= p.streams) return;
    float* ws = p.scratch_in_smem ? sample_smem + warp * 3 * p.vocab : p.scratch + (i64)s * 3 * p.vocab;
    const int tok = sample_stream<false>(p, p.logits + (i64)s * p.vocab, s, 0, ws, lane);
    if (lane == 0)
    {
        // The fed token last: CudaTokenSampler passes one element as both, and TensorRT feeds it to its next step.
        p.tokens_out[s] = tok;
        p.cur_tokens[s] = fed_token(tok);
    }
}

#if EMITS(GROUP_SAMPLER)
extern "C" __global__ void __launch_bounds__(THREADS) sample_batch(const RunParams p) { sample_rows(p); }
#endif
