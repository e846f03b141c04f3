/* The client's address through trusted proxies (src/http/client_addr.c). */
#include "tests.h"
#include "bdhvs/client_addr.h"
#include <string.h>

static const char *resolve(const char *peer, const char *xff, const char *trusted)
{
    static char out[64];
    client_addr_resolve(peer, xff, trusted, out, sizeof out);
    return out;
}

START_TEST(without_trusted_proxies_the_peer_is_the_client)
{
    ck_assert_str_eq(resolve("127.0.0.1", "203.0.113.9", ""), "127.0.0.1");
    ck_assert_str_eq(resolve("127.0.0.1", "203.0.113.9", NULL), "127.0.0.1");
    ck_assert_str_eq(resolve("198.51.100.1", "203.0.113.9", "127.0.0.3"), "198.51.100.1");
    ck_assert_str_eq(resolve("127.0.0.3", NULL, "127.0.0.3"), "127.0.0.3");
}
END_TEST

START_TEST(a_trusted_peer_vouches_for_the_right_most_untrusted_entry)
{
    ck_assert_str_eq(resolve("127.0.0.3", "203.0.113.9", "127.0.0.3"), "203.0.113.9");
    /* The client can write anything on the left: only the right-most untrusted entry counts. */
    ck_assert_str_eq(resolve("127.0.0.3", "1.2.3.4, 203.0.113.9", "127.0.0.3"), "203.0.113.9");
    ck_assert_str_eq(resolve("10.0.0.5", "1.2.3.4,203.0.113.9 , 10.0.0.7", "10.0.0.0/8, 127.0.0.3"), "203.0.113.9");
    /* Every entry trusted: the left-most. */
    ck_assert_str_eq(resolve("10.0.0.5", "10.0.0.9, 10.0.0.7", "10.0.0.0/8"), "10.0.0.9");
    /* Garbage stops the walk at the last trusted hop. */
    ck_assert_str_eq(resolve("127.0.0.3", "evil", "127.0.0.3"), "127.0.0.3");
    ck_assert_str_eq(resolve("10.0.0.5", "203.0.113.9, unknown, 10.0.0.7", "10.0.0.0/8"), "10.0.0.7");
    ck_assert_str_eq(resolve("127.0.0.3", " , ", "127.0.0.3"), "127.0.0.3");
    /* IPv6, written canonically; IPv4-mapped IPv6 peers match IPv4 lists. */
    ck_assert_str_eq(resolve("::1", "2001:DB8::0:1", "::1"), "2001:db8::1");
    ck_assert_str_eq(resolve("::ffff:127.0.0.3", "203.0.113.9", "127.0.0.3"), "203.0.113.9");
    ck_assert_str_eq(resolve("2001:db8::5", "203.0.113.9", "2001:db8::/64"), "203.0.113.9");
    ck_assert_str_eq(resolve("2001:db9::5", "203.0.113.9", "2001:db8::/64"), "2001:db9::5");
}
END_TEST

START_TEST(cidr_prefixes_match_exactly)
{
    ck_assert_str_eq(resolve("192.168.1.255", "203.0.113.9", "192.168.1.0/24"), "203.0.113.9");
    ck_assert_str_eq(resolve("192.168.2.0", "203.0.113.9", "192.168.1.0/24"), "192.168.2.0");
    ck_assert_str_eq(resolve("192.168.1.130", "203.0.113.9", "192.168.1.128/25"), "203.0.113.9");
    ck_assert_str_eq(resolve("192.168.1.127", "203.0.113.9", "192.168.1.128/25"), "192.168.1.127");
    ck_assert_str_eq(resolve("8.8.8.8", "203.0.113.9", "0.0.0.0/0"), "203.0.113.9");
}
END_TEST

START_TEST(proxy_lists_are_checked)
{
    char bad[64];
    ck_assert_int_eq(client_addr_check_list("", bad, sizeof bad), 0);
    ck_assert_int_eq(client_addr_check_list("127.0.0.3, 10.0.0.0/8,::1,2001:db8::/32", bad, sizeof bad), 0);
    ck_assert_int_eq(client_addr_check_list("127.0.0.3, proxy.local", bad, sizeof bad), -1);
    ck_assert_str_eq(bad, "proxy.local");
    ck_assert_int_eq(client_addr_check_list("10.0.0.0/33", bad, sizeof bad), -1);
    ck_assert_str_eq(bad, "10.0.0.0/33");
    ck_assert_int_eq(client_addr_check_list("::/129", bad, sizeof bad), -1);
    ck_assert_int_eq(client_addr_check_list("10.0.0.0/", bad, sizeof bad), -1);
    ck_assert_int_eq(client_addr_check_list("10.0.0.0/8x", bad, sizeof bad), -1);
    ck_assert_int_eq(client_addr_check_list("10.0.0.256", bad, sizeof bad), -1);
}
END_TEST

START_TEST(throttling_counts_ipv6_by_its_64_network)
{
    char out[64];
    client_addr_throttle_unit("203.0.113.9", out, sizeof out);
    ck_assert_str_eq(out, "203.0.113.9");
    client_addr_throttle_unit("2001:db8:1:2:aaaa:bbbb:cccc:dddd", out, sizeof out);
    ck_assert_str_eq(out, "2001:db8:1:2::/64");
    client_addr_throttle_unit("2001:db8:1:2::1", out, sizeof out);
    ck_assert_str_eq(out, "2001:db8:1:2::/64");
    client_addr_throttle_unit("::1", out, sizeof out);
    ck_assert_str_eq(out, "::/64");
    client_addr_throttle_unit("-", out, sizeof out);
    ck_assert_str_eq(out, "-");
}
END_TEST

Suite *client_addr_suite(void)
{
    Suite *s = suite_create("client_addr");
    TCase *t = tcase_create("client_addr");
    tcase_add_test(t, without_trusted_proxies_the_peer_is_the_client);
    tcase_add_test(t, a_trusted_peer_vouches_for_the_right_most_untrusted_entry);
    tcase_add_test(t, cidr_prefixes_match_exactly);
    tcase_add_test(t, proxy_lists_are_checked);
    tcase_add_test(t, throttling_counts_ipv6_by_its_64_network);
    suite_add_tcase(s, t);
    return s;
}
