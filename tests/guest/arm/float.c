/* Floating point in a C program (VFP code from arm-linux-gnueabihf-gcc
 * -O2 -static -marm): arithmetic, square roots, conversions, compares,
 * rounding modes and exception flags, printed in decimal and as bits so
 * that the output of Loom and of qemu-arm -cpu cortex-a15 must be the
 * same. Run by tests/cli/test_loom_user.sh. */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static volatile float vf[] = {0.0f, -0.0f, 1.0f, -1.5f, 3.0f, 0.1f, 1e-40f, 1.17549435e-38f, 3.4e38f, 1e30f,
                              2147483647.0f, -2147483648.0f, 4294967296.0f, 0.5f, 2.5f, -2.5f};
static volatile double vd[] = {0.0, -0.0, 1.0, -1.5, 3.0, 0.1, 1e-310, 2.2250738585072014e-308, 1.7e308, 1e300,
                               2147483647.5, -2147483648.5, 4294967295.0, 0.5, 2.5, -2.5};
#define N (sizeof vf / sizeof *vf)

static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static uint64_t dbits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

static void flags(const char *what)
{
    int e = fetestexcept(FE_ALL_EXCEPT);
    printf("%s flags:%s%s%s%s%s\n", what, e & FE_INVALID ? " invalid" : "", e & FE_DIVBYZERO ? " divbyzero" : "",
           e & FE_OVERFLOW ? " overflow" : "", e & FE_UNDERFLOW ? " underflow" : "", e & FE_INEXACT ? " inexact" : "");
    feclearexcept(FE_ALL_EXCEPT);
}

int main(void)
{
    static const int modes[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
    static const char *const mode_names[] = {"nearest", "upward", "downward", "towardzero"};
    for (unsigned k = 0; k < 4; k++) {
        fesetround(modes[k]);
        feclearexcept(FE_ALL_EXCEPT);
        printf("== %s\n", mode_names[k]);
        for (unsigned i = 0; i < N; i++) {
            float a = vf[i], b = vf[(i * 7 + 3) % N];
            double c = vd[i], d = vd[(i * 5 + 1) % N];
            printf("f %u: %.9g %.9g: + %08x - %08x * %08x / %08x sqrt %08x fma %08x\n", i, a, b, fbits(a + b),
                   fbits(a - b), fbits(a * b), fbits(a / b), fbits(sqrtf(a)), fbits(fmaf(a, b, vf[2])));
            printf("d %u: %.17g %.17g: + %016llx - %016llx * %016llx / %016llx sqrt %016llx\n", i, c, d,
                   (unsigned long long)dbits(c + d), (unsigned long long)dbits(c - d),
                   (unsigned long long)dbits(c * d), (unsigned long long)dbits(c / d),
                   (unsigned long long)dbits(sqrt(c)));
            printf("  cvt: %08x %016llx int %d %u %d %u rint %ld lrint %ld cmp %d%d%d\n", fbits((float)c),
                   (unsigned long long)dbits((double)a), (int)a, (unsigned)c > 0 ? (unsigned)(c > 0 ? c : 0) : 0,
                   (int)(c >= -2147483648.0 && c < 2147483648.0 ? c : 0), (unsigned)(a >= 0 && a < 4e9f ? a : 0),
                   (long)(c > -2e9 && c < 2e9 ? rint(c) : 0), (long)(a > -2e9f && a < 2e9f ? lrintf(a) : 0),
                   a < b, c == d, isunordered(c, d));
            flags("  ");
        }
    }
    fesetround(FE_TONEAREST);
    double acc = 0;
    for (int i = 1; i <= 1000; i++) acc += 1.0 / ((double)i * i);
    printf("sum 1/i^2 = %.17g (pi^2/6 = %.17g)\n", acc, M_PI * M_PI / 6);
    float facc = 1;
    for (int i = 0; i < 200; i++) facc = facc * 1.1f - 0.05f;
    printf("float loop = %.9g\n", facc);
    printf("%.3f %.6e %g %a\n", 2.0 / 3.0, 6.02214076e23, 1e-5, 0.1);
    volatile float z = 0.0f;
    printf("1/0 = %f, 0/0 is nan: %d, -1/0 = %f\n", 1.0f / z, isnan(z / z), -1.0 / z);
    flags("end");
    return 0;
}
