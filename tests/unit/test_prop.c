/* Unit tests for core/prop.c: property values parsed from text with units
 * (sizes, frequencies, times), integers, booleans, choices and addresses,
 * and error texts that say what was expected. Expectations come from
 * include/loom/model.h ("Properties") and docs/boards.md ("Values"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loom/loom.h"

static const loom_prop_def size_def = {"size", LOOM_PROP_SIZE, NULL, "size", NULL};
static const loom_prop_def freq_def = {"clock", LOOM_PROP_FREQ, NULL, "clock", NULL};
static const loom_prop_def time_def = {"quantum", LOOM_PROP_TIME, NULL, "time", NULL};
static const loom_prop_def int_def = {"n", LOOM_PROP_INT, NULL, "integer", NULL};
static const loom_prop_def bool_def = {"flag", LOOM_PROP_BOOL, NULL, "boolean", NULL};
static const loom_prop_def addr_def = {"base", LOOM_PROP_ADDR, NULL, "address", NULL};
static const loom_prop_def enum_def = {"mode", LOOM_PROP_ENUM, NULL, "mode", "fast|slow|off"};
static const loom_prop_def str_def = {"name", LOOM_PROP_STRING, NULL, "text", NULL};

static uint64_t ok(const loom_prop_def *def, const char *text)
{
    loom_prop_value v;
    char err[256] = "";
    loom_err e = loom_prop_parse(def, text, &v, err, sizeof err);
    if (e) fail_msg("'%s' as %s: %s", text, loom_prop_type_name(def->type), err);
    assert_int_equal(v.type, def->type);
    assert_false(v.set); /* the caller decides whether the user set it */
    uint64_t u = v.u;
    loom_prop_value_clear(&v);
    return u;
}

/* Parse text that must be refused; return the error text for checks. */
static const char *bad(const loom_prop_def *def, const char *text)
{
    static char err[256];
    loom_prop_value v = {.u = 0x5a5a};
    memset(err, 0, sizeof err);
    loom_err e = loom_prop_parse(def, text, &v, err, sizeof err);
    if (e != LOOM_E_INVAL)
        fail_msg("'%s' as %s: accepted as %llu", text, loom_prop_type_name(def->type),
                 (unsigned long long)v.u);
    assert_true(err[0] != '\0');
    assert_non_null(strstr(err, "expected"));
    return err;
}

static void test_prop_sizes_take_binary_units(void **state)
{
    assert_int_equal(ok(&size_def, "4096"), 4096);
    assert_int_equal(ok(&size_def, "64KiB"), 64 * 1024);
    assert_int_equal(ok(&size_def, "64K"), 64 * 1024);
    assert_int_equal(ok(&size_def, "64KB"), 64 * 1024);
    assert_int_equal(ok(&size_def, "1MiB"), 1024 * 1024);
    assert_int_equal(ok(&size_def, "128MiB"), 128ull << 20);
    assert_int_equal(ok(&size_def, "2G"), 2ull << 30);
    assert_int_equal(ok(&size_def, "1GiB"), 1ull << 30);
    assert_int_equal(ok(&size_def, "4TiB"), 4ull << 40);
    assert_int_equal(ok(&size_def, "1.5KiB"), 1536);
    assert_int_equal(ok(&size_def, "0.5MiB"), 512 * 1024);
    assert_int_equal(ok(&size_def, "0x1000"), 4096);
    assert_int_equal(ok(&size_def, "0x10KiB"), 16 * 1024);
    assert_int_equal(ok(&size_def, "1_048_576"), 1048576);
    assert_int_equal(ok(&size_def, "16B"), 16);
    assert_int_equal(ok(&size_def, "0"), 0);
    assert_int_equal(ok(&size_def, "0B"), 0);
    assert_int_equal(ok(&size_def, "64 KiB"), 64 * 1024);
    assert_int_equal(ok(&size_def, "0xffffffffffffffff"), UINT64_MAX);
    assert_int_equal(ok(&size_def, "15TiB"), 15ull << 40);
}

static void test_prop_sizes_refuse_overflow_and_junk(void **state)
{
    const char *e = bad(&size_def, "16777216TiB"); /* 2^64 */
    assert_non_null(strstr(e, "'16777216TiB'"));
    assert_non_null(strstr(e, "64KiB")); /* an example of what is expected */
    bad(&size_def, "18446744073709551616");
    bad(&size_def, "0x10000000000000000");
    bad(&size_def, "17179869184GiB");
    bad(&size_def, "1.5");      /* not a whole number of bytes */
    bad(&size_def, "1.0001KiB");
    bad(&size_def, "-1");
    bad(&size_def, "12 parsecs");
    bad(&size_def, "KiB");
    bad(&size_def, "");
    bad(&size_def, "64kib"); /* units are case-sensitive */
    bad(&size_def, "64KiB ");
    bad(&size_def, "1e3");
}

static void test_prop_frequencies_take_decimal_units(void **state)
{
    assert_int_equal(ok(&freq_def, "100MHz"), 100000000);
    assert_int_equal(ok(&freq_def, "32768Hz"), 32768);
    assert_int_equal(ok(&freq_def, "1.5GHz"), 1500000000);
    assert_int_equal(ok(&freq_def, "24kHz"), 24000);
    assert_int_equal(ok(&freq_def, "14.31818MHz"), 14318180);
    assert_int_equal(ok(&freq_def, "1000"), 1000);
    const char *e = bad(&freq_def, "100MiB");
    assert_non_null(strstr(e, "frequency"));
    assert_non_null(strstr(e, "MHz"));
    bad(&freq_def, "1.5Hz");
    bad(&freq_def, "100 mhz");
    bad(&freq_def, "fast");
}

static void test_prop_times_need_a_unit_and_whole_picoseconds(void **state)
{
    assert_int_equal(ok(&time_def, "10us"), 10 * LOOM_US);
    assert_int_equal(ok(&time_def, "250ns"), 250 * LOOM_NS);
    assert_int_equal(ok(&time_def, "1ms"), LOOM_MS);
    assert_int_equal(ok(&time_def, "2s"), 2 * LOOM_SEC);
    assert_int_equal(ok(&time_def, "7ps"), 7);
    assert_int_equal(ok(&time_def, "0.5ns"), 500);
    assert_int_equal(ok(&time_def, "1.5ms"), 1500 * LOOM_US);
    assert_int_equal(ok(&time_def, "0ps"), 0);
    /* 2^64 ps is about 213 days: 18446744 s fits, 18446745 s does not. */
    assert_int_equal(ok(&time_def, "18446744s"), 18446744 * LOOM_SEC);
    bad(&time_def, "18446745s");
    const char *e = bad(&time_def, "10");
    assert_non_null(strstr(e, "'10'"));
    assert_non_null(strstr(e, "ns"));
    assert_non_null(strstr(e, "10us"));
    bad(&time_def, "0.5ps");
    bad(&time_def, "1.0001ns");
    bad(&time_def, "10 minutes");
    bad(&time_def, "10 US");
    bad(&time_def, "-1us");
}

static void test_prop_integers_are_signed_with_bases_and_separators(void **state)
{
    assert_int_equal((int64_t)ok(&int_def, "42"), 42);
    assert_int_equal((int64_t)ok(&int_def, "-3"), -3);
    assert_int_equal((int64_t)ok(&int_def, "+7"), 7);
    assert_int_equal(ok(&int_def, "0x1f"), 31);
    assert_int_equal(ok(&int_def, "0X1F"), 31);
    assert_int_equal((int64_t)ok(&int_def, "-0x10"), -16);
    assert_int_equal(ok(&int_def, "0b101"), 5);
    assert_int_equal(ok(&int_def, "0o17"), 15);
    assert_int_equal(ok(&int_def, "1_000_000"), 1000000);
    assert_int_equal(ok(&int_def, "0xdead_beef"), 0xdeadbeef);
    assert_int_equal(ok(&int_def, "9223372036854775807"), INT64_MAX);
    assert_int_equal((int64_t)ok(&int_def, "-9223372036854775808"), INT64_MIN);
    const char *e = bad(&int_def, "12abc");
    assert_non_null(strstr(e, "integer"));
    assert_non_null(strstr(e, "0x1f"));
    bad(&int_def, "9223372036854775808");
    bad(&int_def, "-9223372036854775809");
    bad(&int_def, "0b102");
    bad(&int_def, "0x");
    bad(&int_def, "1.5");
    bad(&int_def, "10KiB");
    bad(&int_def, "");
    bad(&int_def, "_1");
    bad(&int_def, "--1");
}

static void test_prop_booleans_take_the_usual_spellings(void **state)
{
    static const char *const yes[] = {"true", "yes", "on", "1", "TRUE", "Yes", "ON"};
    static const char *const no[] = {"false", "no", "off", "0", "False", "NO", "Off"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) assert_int_equal(ok(&bool_def, yes[i]), 1);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) assert_int_equal(ok(&bool_def, no[i]), 0);
    const char *e = bad(&bool_def, "maybe");
    assert_non_null(strstr(e, "'maybe'"));
    assert_non_null(strstr(e, "true or false"));
    bad(&bool_def, "2");
    bad(&bool_def, "");
    bad(&bool_def, "yess");
}

static void test_prop_enum_takes_one_choice_and_lists_them_on_error(void **state)
{
    loom_prop_value v;
    char err[256];
    assert_int_equal(loom_prop_parse(&enum_def, "slow", &v, err, sizeof err), LOOM_OK);
    assert_int_equal(v.u, 1);
    assert_string_equal(v.s, "slow");
    loom_prop_value_clear(&v);
    assert_null(v.s);
    assert_int_equal(ok(&enum_def, "fast"), 0);
    assert_int_equal(ok(&enum_def, "off"), 2);
    const char *e = bad(&enum_def, "medium");
    assert_non_null(strstr(e, "'medium'"));
    assert_non_null(strstr(e, "fast|slow|off"));
    /* Prefixes and extensions of a choice are not that choice. */
    bad(&enum_def, "fas");
    bad(&enum_def, "fastest");
    bad(&enum_def, "slow|off");
    bad(&enum_def, "");
}

static void test_prop_addresses_are_plain_unsigned_numbers(void **state)
{
    assert_int_equal(ok(&addr_def, "0x09000000"), 0x09000000);
    assert_int_equal(ok(&addr_def, "4096"), 4096);
    assert_int_equal(ok(&addr_def, "0xffff_ffff_ffff_ffff"), UINT64_MAX);
    assert_int_equal(ok(&addr_def, "0b1010"), 10);
    const char *e = bad(&addr_def, "-1");
    assert_non_null(strstr(e, "address"));
    assert_non_null(strstr(e, "0x09000000"));
    bad(&addr_def, "64KiB");
    bad(&addr_def, "0x1_0000_0000_0000_0000");
    bad(&addr_def, "uart0");
}

static void test_prop_strings_are_copied(void **state)
{
    char text[] = "hello";
    loom_prop_value v;
    char err[64];
    assert_int_equal(loom_prop_parse(&str_def, text, &v, err, sizeof err), LOOM_OK);
    text[0] = 'j';
    assert_string_equal(v.s, "hello");
    loom_prop_value_clear(&v);
    assert_int_equal(loom_prop_parse(&str_def, "", &v, err, sizeof err), LOOM_OK);
    assert_string_equal(v.s, "");
    loom_prop_value_clear(&v);
}

static void test_prop_error_text_is_optional_and_bounded(void **state)
{
    loom_prop_value v;
    /* No buffer: still refused, no crash. */
    assert_int_equal(loom_prop_parse(&time_def, "10", &v, NULL, 0), LOOM_E_INVAL);
    /* A tiny buffer is filled and terminated, never overrun. */
    char err[12];
    memset(err, 'x', sizeof err);
    assert_int_equal(loom_prop_parse(&size_def, "lots", &v, err, 8), LOOM_E_INVAL);
    assert_int_equal(strlen(err), 7);
    assert_int_equal(err[8], 'x');
    assert_string_equal(loom_prop_type_name(LOOM_PROP_FREQ), "frequency");
    assert_string_equal(loom_prop_type_name(LOOM_PROP_ENUM), "choice");
    assert_string_equal(loom_prop_type_name((loom_prop_type)99), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prop_sizes_take_binary_units),
        cmocka_unit_test(test_prop_sizes_refuse_overflow_and_junk),
        cmocka_unit_test(test_prop_frequencies_take_decimal_units),
        cmocka_unit_test(test_prop_times_need_a_unit_and_whole_picoseconds),
        cmocka_unit_test(test_prop_integers_are_signed_with_bases_and_separators),
        cmocka_unit_test(test_prop_booleans_take_the_usual_spellings),
        cmocka_unit_test(test_prop_enum_takes_one_choice_and_lists_them_on_error),
        cmocka_unit_test(test_prop_addresses_are_plain_unsigned_numbers),
        cmocka_unit_test(test_prop_strings_are_copied),
        cmocka_unit_test(test_prop_error_text_is_optional_and_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
