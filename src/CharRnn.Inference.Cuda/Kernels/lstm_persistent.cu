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
#define MAX_REDUNDANT_STREAMS 32
#define FULL_MASK 0xffffffffu

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
    float* scratch;           // [grid][WARPS][2V] sampling scratch
    unsigned int* barrier;    // [2]: arrivals, generation
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
    int pad;
};

__device__ __forceinline__ unsigned int ld_acquire(const unsigned int* p)
{
    unsigned int v;
    asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
    return v;
}

__device__ __forceinline__ unsigned int atom_add_acq_rel(unsigned int* p, unsigned int v)
{
    unsigned int old;
    asm volatile("atom.add.acq_rel.gpu.global.u32 %0, [%1], %2;" : "=r"(old) : "l"(p), "r"(v) : "memory");
    return old;
}

__device__ __forceinline__ void st_release(unsigned int* p, unsigned int v)
{
    asm volatile("st.release.gpu.global.u32 [%0], %1;" :: "l"(p), "r"(v) : "memory");
}

// Grid-wide barrier in global memory (the launch is cooperative, so all blocks are co-resident). The last block to
// arrive resets the arrival count and publishes the next generation; the others spin on the generation.
__device__ __forceinline__ void grid_barrier(unsigned int* bar, unsigned int blocks, unsigned int& generation)
{
    __syncthreads();
    if (threadIdx.x == 0)
    {
        unsigned int next = generation + 1;
        __threadfence();
        if (atom_add_acq_rel(&bar[0], 1u) == blocks - 1)
        {
            bar[0] = 0;
            st_release(&bar[1], next);
        }
        else
        {
            while (ld_acquire(&bar[1]) != next) { }
        }
        __threadfence();
    }
    generation++;
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

__device__ __forceinline__ float warp_dot(const float* w, const float* x, int n, int lane, bool vec)
{
    float acc = 0.0f;
    if (vec)
    {
        const float4* w4 = reinterpret_cast<const float4*>(w);
        const float4* x4 = reinterpret_cast<const float4*>(x);
        const int n4 = n >> 2;
        for (int i = lane; i < n4; i += 32)
        {
            float4 a = w4[i];
            float4 b = x4[i];
            acc = fmaf(a.x, b.x, acc);
            acc = fmaf(a.y, b.y, acc);
            acc = fmaf(a.z, b.z, acc);
            acc = fmaf(a.w, b.w, acc);
        }
    }
    else
    {
        for (int i = lane; i < n; i += 32) acc = fmaf(w[i], x[i], acc);
    }
    return warp_sum(acc);
}

__device__ __forceinline__ float sigmoidf_(float x) { return 1.0f / (1.0f + expf(-x)); }

// TokenSampler.Sample for one stream, by one warp. Sums that the CPU does sequentially are done sequentially by lane 0
// in the same order, so the float results match the rule bit for bit (up to expf's rounding).
__device__ int sample_stream(const RunParams& p, int s, int t, float* ws, int* order, int lane)
{
    const int V = p.vocab;
    const float* lg = p.logits + (i64)s * V;
    if (p.temperature == 0.0f)
    {
        float best = __int_as_float(0xff800000);
        int bi = 0x7fffffff;
        for (int i = lane; i < V; i += 32)
        {
            float v = __ldcg(lg + i);
            if (v > best || (v == best && i < bi)) { best = v; bi = i; }
        }
        for (int o = 16; o > 0; o >>= 1)
        {
            float ob = __shfl_xor_sync(FULL_MASK, best, o);
            int oi = __shfl_xor_sync(FULL_MASK, bi, o);
            if (ob > best || (ob == best && oi < bi)) { best = ob; bi = oi; }
        }
        return bi == 0x7fffffff ? 0 : bi;
    }
    float mx = __int_as_float(0xff800000);
    for (int i = lane; i < V; i += 32) mx = fmaxf(mx, __ldcg(lg + i));
    for (int o = 16; o > 0; o >>= 1) mx = fmaxf(mx, __shfl_xor_sync(FULL_MASK, mx, o));
    const float invT = 1.0f / p.temperature;
    for (int i = lane; i < V; i += 32) ws[i] = expf((__ldcg(lg + i) - mx) * invT);
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
            int rank = 0;
            for (int j = 0; j < V; ++j)
            {
                float wj = ws[j];
                rank += (wj > wi || (wj == wi && j < i)) ? 1 : 0;
            }
            order[rank] = i;
        }
        __syncwarp();
        int m = k;
        if (lane == 0)
        {
            float total = 0.0f;
            for (int r = 0; r < k; ++r) total += ws[order[r]];
            float threshold = pp * total;
            float acc = 0.0f;
            for (int r = 0; r < k; ++r)
            {
                acc += ws[order[r]];
                if (acc >= threshold) { m = r + 1; break; }
            }
        }
        m = __shfl_sync(FULL_MASK, m, 0);
        __syncwarp();
        for (int r = m + lane; r < V; r += 32) ws[order[r]] = 0.0f;
        __syncwarp();
    }
    int pick = -1;
    if (lane == 0)
    {
        float total = 0.0f;
        int last = -1;
        for (int i = 0; i < V; ++i)
        {
            float w = ws[i];
            if (w > 0.0f) { total += w; last = i; }
        }
        float u = counter_uniform(p.seed, s, p.counter + t);
        float target = __fmul_rn(u, total);
        float acc = 0.0f;
        pick = last;
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

extern "C" __global__ void __launch_bounds__(THREADS, 1) lstm_run(const RunParams p)
{
    extern __shared__ __align__(16) float smem[];
    const int H = p.hidden, B = p.streams, V = p.vocab, L = p.layer_count;
    const int UPB = p.units_per_block, VPB = p.vocab_per_block, SB = p.stage_streams, MW = p.max_width;
    const int rows = 4 * UPB;
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
    const int blk = blockIdx.x;
    const unsigned int G = gridDim.x;
    const int u0 = blk * UPB;
    const int v0 = blk * VPB;

    // Shared memory: [weights of the block's rows, all layers, then its FC rows] [stage SB x MW] [gates SB x rows] [tokens]
    i64 wfloats = 0;
    if (p.weights_in_smem)
    {
        for (int k = 0; k < L; ++k) wfloats += (i64)rows * p.layers[k].width;
        wfloats += (i64)VPB * H;
        wfloats = (wfloats + 3) & ~3LL;
    }
    float* stage = smem + wfloats;
    float* gates = stage + (i64)SB * MW;
    int* stok = reinterpret_cast<int*>(gates + (((i64)SB * rows + 3) & ~3LL));

    if (p.weights_in_smem)
    {
        float* dst = smem;
        for (int k = 0; k < L; ++k)
        {
            const int width = p.layers[k].width;
            const float* src = p.layers[k].wr;
            for (i64 idx = tid; idx < (i64)rows * width; idx += THREADS)
            {
                int j = (int)(idx / width);
                int col = (int)(idx - (i64)j * width);
                int g = j / UPB, u = u0 + (j - g * UPB);
                dst[idx] = u < H ? src[((i64)g * H + u) * width + col] : 0.0f;
            }
            dst += (i64)rows * width;
        }
        for (i64 idx = tid; idx < (i64)VPB * H; idx += THREADS)
        {
            int v = v0 + (int)(idx / H);
            dst[idx] = v < V ? p.fc_w[(i64)v * H + idx % H] : 0.0f;
        }
    }
    unsigned int generation = 0;
    if (tid == 0) generation = ld_acquire(&p.barrier[1]);
    __syncthreads();

    float* ws = p.scratch + ((i64)blk * WARPS + warp) * 2 * V;
    int* order = reinterpret_cast<int*>(ws + V);
    const bool generating = p.tokens_in == 0;
    const i64 LBH = (i64)L * B * H;
    int parity = p.parity;

    for (int t = 0; t < p.steps; ++t)
    {
        const float* hcur = p.h + parity * LBH;
        float* hnext = p.h + (parity ^ 1) * LBH;

        if (generating)
        {
            if (p.redundant_sampling)
            {
                // Few streams: every block samples every stream itself (identical results), saving a grid barrier.
                for (int s = warp; s < B; s += WARPS)
                {
                    int tok = sample_stream(p, s, t, ws, order, lane);
                    if (lane == 0)
                    {
                        stok[s] = tok;
                        if (blk == 0) p.tokens_out[(i64)t * B + s] = tok;
                    }
                }
                __syncthreads();
            }
            else
            {
                for (int s = blk * WARPS + warp; s < B; s += G * WARPS)
                {
                    int tok = sample_stream(p, s, t, ws, order, lane);
                    if (lane == 0)
                    {
                        p.cur_tokens[s] = tok;
                        p.tokens_out[(i64)t * B + s] = tok;
                    }
                }
                grid_barrier(p.barrier, G, generation);
            }
        }

        i64 woffset = 0;
        for (int k = 0; k < L; ++k)
        {
            const int width = p.layers[k].width;
            const int xw = width - H;
            const bool vec = ((width & 3) == 0) && ((MW & 3) == 0);
            const float* hk_old = hcur + (i64)k * B * H;
            const float* x_new = k > 0 ? hnext + (i64)(k - 1) * B * H : 0;
            float* hk_new = hnext + (i64)k * B * H;
            float* ck = p.c + (i64)k * B * H;
            const float* wsm = smem + woffset;
            const float* wgl = p.layers[k].wr;
            const float* bias = p.layers[k].bias;
            for (int s0 = 0; s0 < B; s0 += SB)
            {
                const int sn = min(SB, B - s0);
                for (i64 idx = tid; idx < (i64)sn * width; idx += THREADS)
                {
                    int sl = (int)(idx / width);
                    int col = (int)(idx - (i64)sl * width);
                    i64 s = s0 + sl;
                    stage[(i64)sl * MW + col] = col < xw ? __ldcg(x_new + s * H + col) : __ldcg(hk_old + s * H + (col - xw));
                }
                __syncthreads();
                for (int pr = warp; pr < rows * sn; pr += WARPS)
                {
                    const int sl = pr / rows, j = pr - sl * rows;
                    const int g = j / UPB, u = u0 + (j - g * UPB);
                    if (u >= H) continue;
                    const int r = g * H + u;
                    const float* wrow = p.weights_in_smem ? wsm + (i64)j * width : wgl + (i64)r * width;
                    float acc = warp_dot(wrow, stage + (i64)sl * MW, width, lane, vec);
                    if (lane == 0)
                    {
                        const int s = s0 + sl;
                        float pre;
                        if (k == 0)
                        {
                            int tok = !generating ? p.tokens_in[(i64)t * B + s]
                                : (p.redundant_sampling ? stok[s] : __ldcg(p.cur_tokens + s));
                            pre = p.table[(i64)tok * 4 * H + r] + acc;
                        }
                        else
                        {
                            pre = bias[r] + acc;
                        }
                        gates[sl * rows + j] = pre;
                    }
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
                    // c' = c * f + i * j; h' = tanh(c') * o, rounded as the CPU engine rounds (no contraction).
                    float cv = __fadd_rn(__fmul_rn(ck[at], fg), __fmul_rn(ig, cg));
                    ck[at] = cv;
                    hk_new[at] = __fmul_rn(tanhf(cv), og);
                }
                __syncthreads();
            }
            woffset += (i64)rows * width;
            grid_barrier(p.barrier, G, generation);
        }

        // Output projection: this block's vocabulary rows for every stream.
        {
            const float* hl = hnext + (i64)(L - 1) * B * H;
            const bool vec = ((H & 3) == 0) && ((MW & 3) == 0);
            const float* wsm = smem + woffset;
            for (int s0 = 0; s0 < B; s0 += SB)
            {
                const int sn = min(SB, B - s0);
                if (v0 < V)
                {
                    for (i64 idx = tid; idx < (i64)sn * H; idx += THREADS)
                    {
                        int sl = (int)(idx / H);
                        int col = (int)(idx - (i64)sl * H);
                        stage[(i64)sl * MW + col] = __ldcg(hl + (i64)(s0 + sl) * H + col);
                    }
                }
                __syncthreads();
                for (int pr = warp; pr < VPB * sn; pr += WARPS)
                {
                    const int sl = pr / VPB, jv = pr - sl * VPB, v = v0 + jv;
                    if (v >= V) continue;
                    const float* wrow = p.weights_in_smem ? wsm + (i64)jv * H : p.fc_w + (i64)v * H;
                    float acc = warp_dot(wrow, stage + (i64)sl * MW, H, lane, vec);
                    if (lane == 0)
                    {
                        const i64 s = s0 + sl;
                        float val = acc + p.fc_b[v];
                        p.logits[s * V + v] = val;
                        if (p.logits_out) p.logits_out[((i64)t * B + s) * V + v] = val;
                    }
                }
                __syncthreads();
            }
        }
        parity ^= 1;
        if (t + 1 < p.steps) grid_barrier(p.barrier, G, generation);
    }
}
