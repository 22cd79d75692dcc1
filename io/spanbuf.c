#include "spanbuf.h"

#include <stdlib.h>
#include <string.h>

#include "le_base.h"

void le_spanbuf_init(le_spanbuf *b)
{
    memset(b, 0, sizeof *b);
    le_strtab_init(&b->traces);
    le_strtab_init(&b->names);
}

void le_spanbuf_free(le_spanbuf *b)
{
    free(b->trace);
    free(b->span_off);
    free(b->parent_off);
    free(b->service);
    free(b->operation);
    free(b->start_us);
    free(b->duration_us);
    free(b->status_code);
    free(b->error);
    free(b->label);
    free(b->flags);
    free(b->file);
    free(b->pos);
    free(b->ids);
    le_strtab_free(&b->traces);
    le_strtab_free(&b->names);
    memset(b, 0, sizeof *b);
}

static void grow(le_spanbuf *b, size_t need)
{
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < need) cap *= 2;
#define G(f) b->f = le_realloc(b->f, cap * sizeof *b->f)
    G(trace);
    G(span_off);
    G(parent_off);
    G(service);
    G(operation);
    G(start_us);
    G(duration_us);
    G(status_code);
    G(error);
    G(label);
    G(flags);
    G(file);
    G(pos);
#undef G
    b->cap = cap;
}

static uint64_t push_id(le_spanbuf *b, const char *s, size_t n)
{
    LE_RESERVE(b->ids, b->ids_cap, b->ids_len + n + 1);
    uint64_t off = b->ids_len;
    memcpy(b->ids + off, s, n);
    b->ids[off + n] = 0;
    b->ids_len += n + 1;
    return off;
}

void le_spanbuf_push(le_spanbuf *b, const le_span_in *s, uint32_t file, uint64_t pos)
{
    grow(b, b->n + 1);
    size_t i = b->n++;
    b->trace[i] = le_strtab_intern(&b->traces, s->trace_id, s->trace_id_len);
    b->span_off[i] = push_id(b, s->span_id, s->span_id_len);
    b->parent_off[i] = (s->parent_id && s->parent_id_len) ? push_id(b, s->parent_id, s->parent_id_len) : LE_NO_PARENT;
    b->service[i] = le_strtab_intern(&b->names, s->service, s->service_len);
    b->operation[i] = le_strtab_intern(&b->names, s->operation, s->operation_len);
    b->start_us[i] = s->start_us;
    b->duration_us[i] = s->duration_us;
    b->status_code[i] = s->status_code;
    b->error[i] = s->error;
    b->label[i] = s->label;
    b->flags[i] = s->flags;
    b->file[i] = file;
    b->pos[i] = pos;
}
