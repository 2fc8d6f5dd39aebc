// Measures tanh.approx.f32, which the tensor-core kernels' cell update uses (Kernels/lstm_tensorcore.cu,
// TC_FAST_CELLS), and the sigmoid built from it, against double-precision references: the limits and special values,
// then the largest errors over [-20, 20) in steps of 2^-15. Run on the GPU machine (it has nvcc; not part of any build):
//   nvcc -arch=sm_90 -o tanh_approx_error tools/gpu-checks/tanh_approx_error.cu && ./tanh_approx_error
#include <cmath>
#include <cstdio>

__device__ __forceinline__ float approx_tanh(float x)
{
    float r;
    asm("tanh.approx.f32 %0, %1;" : "=f"(r) : "f"(x));
    return r;
}

// As the kernels compute them.
__global__ void evaluate(const float* x, float* tanh_out, float* sigmoid_out, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
    {
        tanh_out[i] = approx_tanh(x[i]);
        sigmoid_out[i] = fmaf(0.5f, approx_tanh(0.5f * x[i]), 0.5f);
    }
}

static void check(cudaError_t status, const char* what)
{
    if (status != cudaSuccess)
    {
        std::fprintf(stderr, "%s: %s\n", what, cudaGetErrorString(status));
        std::exit(1);
    }
}

int main()
{
    const int n = 40 << 15;
    float *x, *t, *s;
    check(cudaMallocManaged(&x, n * sizeof(float)), "cudaMallocManaged");
    check(cudaMallocManaged(&t, n * sizeof(float)), "cudaMallocManaged");
    check(cudaMallocManaged(&s, n * sizeof(float)), "cudaMallocManaged");

    const float special[] = {0.0f, -0.0f, 1e-30f, 0.5f, -0.5f, 1.0f, 4.0f, 8.0f, -8.0f, 10.0f, 15.0f, -15.0f, 20.0f,
                             -20.0f, 88.0f, -88.0f, 1e30f, INFINITY, -INFINITY, NAN};
    const int m = sizeof(special) / sizeof(special[0]);
    for (int i = 0; i < m; i++) x[i] = special[i];
    evaluate<<<1, 32>>>(x, t, s, m);
    check(cudaDeviceSynchronize(), "special values");
    for (int i = 0; i < m; i++)
    {
        double e = std::tanh((double)x[i]), es = 1 / (1 + std::exp(-(double)x[i]));
        std::printf("x %-8g tanh %.9g (exact %.9g)  sigmoid %.9g (exact %.9g)\n", x[i], t[i], e, s[i], es);
    }

    for (int i = 0; i < n; i++) x[i] = -20.0f + i / 32768.0f;
    evaluate<<<(n + 255) / 256, 256>>>(x, t, s, n);
    check(cudaDeviceSynchronize(), "grid");
    double relative = 0, absolute = 0, sigmoid_absolute = 0;
    for (int i = 0; i < n; i++)
    {
        double e = std::tanh((double)x[i]), es = 1 / (1 + std::exp(-(double)x[i]));
        if (e != 0) relative = std::fmax(relative, std::fabs(t[i] - e) / std::fabs(e));
        absolute = std::fmax(absolute, std::fabs(t[i] - e));
        sigmoid_absolute = std::fmax(sigmoid_absolute, std::fabs(s[i] - es));
    }
    std::printf("[-20, 20) in steps of 2^-15: tanh relative error at most %.3g (2^%.2f), absolute %.3g; sigmoid absolute %.3g\n",
                relative, std::log2(relative), absolute, sigmoid_absolute);
    return 0;
}
