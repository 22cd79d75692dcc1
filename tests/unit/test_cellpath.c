/* cellpath: sub-fields of structured CSV cells (JSON, cqlsh's CQL literals,
 * key=value lists) and the parent a references cell names. The CQL strings
 * are cut from the Jaeger Cassandra dump in tests/fixtures/csv/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cellpath.h"

static char *buf;
static size_t cap;

/* The path's value as a string; "<absent>" or "<malformed>" otherwise. */
static const char *get(const char *cell, const char *path)
{
    size_t len = 0;
    int rc = le_cell_path(cell, strlen(cell), path, &buf, &cap, &len);
    if (rc < 0) return "<malformed>";
    if (!rc) return "<absent>";
    assert_int_equal(len, strlen(buf));
    return buf;
}

static const char *parent(const char *cell, const char *trace)
{
    size_t len = 0;
    int rc = le_cell_parent_ref(cell, strlen(cell), trace, strlen(trace), &buf, &cap, &len);
    if (rc < 0) return "<malformed>";
    if (!rc) return "<none>";
    buf[len] = 0;
    return buf;
}

static void test_cql_literal(void **state)
{
    (void)state;
    const char *process =
        "{service_name: 'calories', tags: [{key: 'jaeger.version', value_type: 'string', "
        "value_string: 'Go-2.22.1', value_bool: False, value_long: 0, value_double: 0, "
        "value_binary: }, {key: 'ip', value_string: '130.149.158.170'}]}";
    assert_string_equal(get(process, "service_name"), "calories");
    assert_string_equal(get(process, "tags"), "<absent>"); /* a list is no scalar */
    assert_string_equal(get(process, "service"), "<absent>");
    assert_string_equal(get("{a: 'it''s', b: 0x00ff, c: }", "a"), "it's"); /* CQL doubles quotes */
    assert_string_equal(get("{a: 'it''s', b: 0x00ff, c: }", "b"), "0x00ff");
    assert_string_equal(get("{a: 'it''s', b: 0x00ff, c: }", "c"), "");
}

static void test_json_object(void **state)
{
    (void)state;
    const char *cell =
        "{\"serviceName\": \"cart\\\"s\", \"resource\": {\"service.name\": \"caf\\u00e9\", "
        "\"service\": {\"name\": \"nested\"}}, \"n\": 12.5, \"t\": true}";
    assert_string_equal(get(cell, "serviceName"), "cart\"s");
    assert_string_equal(get(cell, "resource.service.name"), "caf\xc3\xa9"); /* a key with dots wins */
    assert_string_equal(get(cell, "resource.service"), "<absent>");         /* a map */
    assert_string_equal(get(cell, "n"), "12.5");
    assert_string_equal(get(cell, "t"), "true");
    assert_string_equal(get(cell, "n.x"), "<absent>");
    assert_string_equal(get("{\"a\": \"\\ud83d\\ude00\"}", "a"), "\xf0\x9f\x98\x80"); /* a surrogate pair */
}

static void test_key_value_list(void **state)
{
    (void)state;
    assert_string_equal(get("service=cart;pod=cart-7d9f8b6c5d-x2k9p", "pod"), "cart-7d9f8b6c5d-x2k9p");
    assert_string_equal(get("a=1, b = two words & c=3", "b"), "two words");
    assert_string_equal(get("url=http://x:8080/a;b=1", "url"), "http://x:8080/a");
    assert_string_equal(get("", "a"), "<absent>");
    assert_string_equal(get("just text", "a"), "<malformed>");
    assert_string_equal(get("{a: 'open}", "a"), "<malformed>");
    assert_string_equal(get("{a: [1, 2}", "a"), "<malformed>");
}

static void test_list_selector(void **state)
{
    (void)state;
    const char *tags =
        "[{key: 'component', value_type: 'string', value_string: 'net/http', value_bool: False}, "
        "{key: 'error', value_type: 'bool', value_string: '', value_bool: True}]";
    assert_string_equal(get(tags, "[key=error].value_bool"), "True");
    assert_string_equal(get(tags, "[key=component].value_string"), "net/http");
    assert_string_equal(get(tags, "[key=http.status_code].value_long"), "<absent>");
    assert_string_equal(get(tags, "value_bool"), "<absent>"); /* a list needs [key=value] */
    assert_string_equal(get("{\"tags\": [{\"key\": \"error\", \"value\": true}]}", "tags.[key=error].value"), "true");
    assert_string_equal(get("[{key: 'error'}] x", "[key=error].key"), "<malformed>");
}

static void test_cassandra_refs(void **state)
{
    (void)state;
    const char *t = "0x00000000000000000123c43201ba2883";
    char refs[512];
    snprintf(refs, sizeof refs, "[{ref_type: 'child-of', trace_id: %s, span_id: 82124937279187075}]", t);
    assert_string_equal(parent(refs, t), "82124937279187075");
    assert_string_equal(parent(refs, "0x0000000000000000ffffffffffffffff"), "<none>"); /* another trace */
    assert_string_equal(parent("", t), "<none>");
    assert_string_equal(parent("[]", t), "<none>");
    snprintf(refs, sizeof refs,
             "[{ref_type: 'follows-from', trace_id: %s, span_id: -1}, {ref_type: 'child-of', trace_id: %s, span_id: 7}]", t,
             t);
    assert_string_equal(parent(refs, t), "7"); /* child-of first, wherever it is */
    snprintf(refs, sizeof refs, "[{ref_type: 'follows-from', trace_id: %s, span_id: -1}]", t);
    assert_string_equal(parent(refs, t), "-1"); /* then follows-from */
}

static void test_json_and_tuple_refs(void **state)
{
    (void)state;
    assert_string_equal(parent("[{\"refType\": \"FOLLOWS_FROM\", \"traceID\": \"ab\", \"spanID\": \"01\"}, "
                               "{\"refType\": \"CHILD_OF\", \"traceID\": \"ab\", \"spanID\": \"02\"}]",
                               " ab "),
                        "02");
    assert_string_equal(parent("[{\"refType\": \"CHILD_OF\", \"spanID\": \"03\"}]", "ab"), "03"); /* no trace id */
    assert_string_equal(parent("[('child-of', 0x0a, 5), ('child-of', 0x0b, 6)]", "0x0b"), "6");
    assert_string_equal(parent("[{ref_type: 'child-of'}]", "x"), "<malformed>");           /* no span id */
    assert_string_equal(parent("{ref_type: 'child-of', span_id: 1}", "x"), "<malformed>"); /* not a list */
    assert_string_equal(parent("[1, 2]", "x"), "<malformed>");
    assert_string_equal(parent("[{ref_type: 'child-of', span_id: 1}] tail", "x"), "<malformed>");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cql_literal),    cmocka_unit_test(test_json_object),
        cmocka_unit_test(test_key_value_list), cmocka_unit_test(test_list_selector),
        cmocka_unit_test(test_cassandra_refs), cmocka_unit_test(test_json_and_tuple_refs),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(buf);
    return rc;
}
