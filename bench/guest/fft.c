/* Radix-2 iterative FFT (decimation in time, in place) of 4096 complex
 * doubles, forward and inverse: signal processing as in audio, radio and
 * sensor firmware. Twiddle factors come from half-angle square roots, so
 * no libm beyond sqrt is needed. */
#include <math.h>

#include "bench.h"

#define BENCH_DEFAULT_SCALE 900
#define LOG2N 12
#define N (1u << LOG2N)

static double re[N], im[N], wre[N / 2], wim[N / 2];

/* wre[k] + i wim[k] = exp(-2 pi i k / N). The root of unity of each order
 * 2^m comes from the one of order 2^(m-1) by the half-angle formulas. */
static void twiddles(void)
{
    double c = 0, s = 1; /* angle pi/2: order 4 */
    for (int m = 3; m <= LOG2N; m++) {
        double c2 = sqrt((1 + c) / 2);
        s = s / (2 * c2);
        c = c2;
    }
    /* (c, s) = (cos, sin) of 2 pi / N; powers by repeated multiplication,
     * renormalised every step to stop the drift. */
    double wr = 1, wi = 0;
    for (uint32_t k = 0; k < N / 2; k++) {
        wre[k] = wr;
        wim[k] = -wi;
        double nr = wr * c - wi * s, ni = wr * s + wi * c;
        double norm = 1 / sqrt(nr * nr + ni * ni);
        wr = nr * norm, wi = ni * norm;
    }
}

static void fft(double *xr, double *xi, int inverse)
{
    for (uint32_t i = 1, j = 0; i < N; i++) { /* bit-reversal permutation */
        uint32_t bit = N >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = xr[i];
            xr[i] = xr[j], xr[j] = t;
            t = xi[i];
            xi[i] = xi[j], xi[j] = t;
        }
    }
    double sign = inverse ? -1 : 1;
    for (uint32_t len = 2; len <= N; len <<= 1) {
        uint32_t half = len / 2, step = N / len;
        for (uint32_t i = 0; i < N; i += len) {
            for (uint32_t k = 0; k < half; k++) {
                double cr = wre[k * step], ci = sign * wim[k * step];
                uint32_t a = i + k, b = a + half;
                double tr = xr[b] * cr - xi[b] * ci, ti = xr[b] * ci + xi[b] * cr;
                xr[b] = xr[a] - tr, xi[b] = xi[a] - ti;
                xr[a] += tr, xi[a] += ti;
            }
        }
    }
    if (inverse)
        for (uint32_t i = 0; i < N; i++) xr[i] /= N, xi[i] /= N;
}

int main(int argc, char **argv)
{
    uint32_t scale = bench_scale(argc, argv, BENCH_DEFAULT_SCALE);
    twiddles();
    uint64_t s = 42;
    double sum = 0;
    for (uint32_t r = 0; r < scale; r++) {
        /* A few tones plus noise. */
        for (uint32_t i = 0; i < N; i++) {
            re[i] = wre[(i * (r % 7 + 1)) % (N / 2)] + 0.5 * wim[(i * 37) % (N / 2)] + xorshift_unit(&s) - 0.5;
            im[i] = 0;
        }
        fft(re, im, 0);
        double energy = 0;
        for (uint32_t i = 0; i < N; i++) energy += re[i] * re[i] + im[i] * im[i];
        fft(re, im, 1);
        double back = 0;
        for (uint32_t i = 0; i < N; i++) back += re[i] * re[i];
        sum += energy / N + back; /* Parseval: the two halves agree */
    }
    bench_checksum_f64("fft", sum);
    return 0;
}
