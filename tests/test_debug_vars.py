"""DWARF variables in `iss debug` (issue 17 item 1): locals, arguments, frames, types.

VARS_C is built -O0 -g and -O2 -g into tests/.fwcache/debug_vars/.  Expected values come
from the C source (what the program computed by that line, by hand); addresses from the
ELF symbol table (pyelftools).  The -O2 expectations (which variables are
<optimized out>, `n=n@entry=4`) are what gdb prints for the same ELF: they were checked
with gdb-multiarch connected to `iss gdbserver`.

By hand: dot(v, w, 4) = 1*5 + 2*6 + 3*7 + 4*8 = 70 (17 before `sum += prod` at i = 2,
prod = 21); walk(n1 -> n2 -> n3) totals 10 + 20 + 30 = 60, stores it in s->p.x and
returns 60 + GREEN (5) = 65; worker(100) on core c stores 100 + c*c (core 3: 109).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from fwbuild import build_c

from iss import toolchain
from iss.debugger.shell import run_script


VARS_C = """\
#include <stdint.h>
#include <stdio.h>
#include "pulp.h"

enum color { RED, GREEN = 5, BLUE };

struct point { int x; int y; };

struct node { int value; struct node *next; };

typedef struct {
    struct point p;
    enum color c;
    char tag;
    short w[3];
} shape_t;

union word { uint32_t u; uint8_t b[4]; };

int gcount = 7;
struct point gpoint = {3, -4};
int garr[5] = {10, 20, 30, 40, 50};
struct node n3 = {30, 0};
struct node n2 = {20, &n3};
struct node n1 = {10, &n2};
struct node *head = &n1;
enum color gcolor = BLUE;
const char gname[] = "pulp";
union word gword = {0x11223344u};
volatile int results[8];

__attribute__((noinline)) int dot(const int *a, const int *b, int n)
{
    int sum = 0;
    for (int i = 0; i < n; i++) {
        int prod = a[i] * b[i];
        sum += prod;               /* LINE_DOT_BODY */
    }
    return sum;                    /* LINE_DOT_RET */
}

__attribute__((noinline)) int walk(struct node *list, shape_t *s)
{
    int total = 0;
    struct node *p = list;
    while (p) {
        total += p->value;
        p = p->next;
    }
    s->p.x = total;                /* LINE_WALK_STORE */
    return total + s->c;           /* LINE_WALK_RET */
}

static void worker(void *arg)
{
    int id = pi_core_id();
    int base = (int)(intptr_t)arg;
    int mine = base + id * id;
    results[id] = mine;            /* LINE_WORKER */
}

int main(void)
{
    int v[4] = {1, 2, 3, 4};
    int w[4] = {5, 6, 7, 8};
    int d = dot(v, w, 4);          /* LINE_MAIN_DOT */
    shape_t s = {{1, 2}, GREEN, 'k', {7, 8, 9}};
    int t = walk(head, &s);        /* LINE_MAIN_WALK */
    pi_cl_team_fork(4, worker, (void *)100);   /* LINE_MAIN_FORK */
    printf("d=%d t=%d r3=%d x=%d\\n", d, t, results[3], s.p.x);   /* LINE_MAIN_PRINT */
    return 0;
}
"""


def line_of(marker: str) -> int:
    for number, text in enumerate(VARS_C.splitlines(), 1):
        if marker in text:
            return number
    raise KeyError(marker)


def _build(opt: str) -> Path:
    return build_c("debug_vars", "vars", VARS_C, f"vars{opt}", extra_args=[opt, "-g"])


@pytest.fixture(scope="module")
def o0() -> Path:
    return _build("-O0")


@pytest.fixture(scope="module")
def o2() -> Path:
    return _build("-O2")


def symbols(elf: Path) -> dict[str, int]:
    with open(elf, "rb") as f:
        return {s.name: s["st_value"] for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()
                if s["st_info"]["type"] in ("STT_OBJECT", "STT_FUNC")}


def printed(out: str) -> list[str]:
    return re.findall(r"^\$\d+ = (.*)$", out, re.M)


HEX = r"0x[0-9a-f]+"


# ------------------------------------------------------------------ -O0

def test_o0_arguments_locals_and_blocks(o0):
    body = line_of("LINE_DOT_BODY")
    out = run_script(o0, ["break dot", "run", "info args", "p n", "p *a@4", "p b[3]", "p a[0]@3",
                          "whatis a", "p a", f"break vars.c:{body} if i == 2", "continue",
                          "info locals", "p prod", "p sum + prod"])
    assert "Traceback" not in out and "internal error" not in out
    m = re.search(rf"Breakpoint 1, dot \(a=({HEX}), b=({HEX}), n=4\) at vars.c:\d+", out)
    assert m, out
    a, b = m.group(1), m.group(2)
    assert f"a = {a}\nb = {b}\nn = 4\n" in out                   # info args
    vals = printed(out)
    assert vals[:4] == ["4", "{1, 2, 3, 4}", "8", "{1, 2, 3}"]
    assert "type = const int *" in out
    assert vals[4] == f"(const int *) {a}"
    # i == 2: prod = 3 * 7, sum = 5 + 12 (innermost block first, like gdb)
    assert f"Breakpoint 2, dot (a={a}, b={b}, n=4) at vars.c:{body}" in out
    assert "\nprod = 21\ni = 2\nsum = 17\n" in out
    assert vals[5:] == ["21", "38"]


def test_o0_frames_up_down_finish(o0):
    main_dot = line_of("LINE_MAIN_DOT")
    out = run_script(o0, ["break dot", "run", "bt", "up", "p v", "p w", "info locals", "p sum",
                          "down", "p sum", "down", "frame 1", "frame 9", "frame 0", "finish"])
    assert re.search(rf"^#0  dot \(a={HEX}, b={HEX}, n=4\) at vars.c:\d+$", out, re.M)
    assert re.search(rf"^#1  {HEX} in main \(\) at vars.c:{main_dot}$", out, re.M)
    # up: main's frame governs the names
    assert re.search(rf"^#1  {HEX} in main \(\) at vars.c:{main_dot}\n{main_dot}\t    int d = dot", out, re.M)
    vals = printed(out)
    assert vals[:2] == ["{1, 2, 3, 4}", "{5, 6, 7, 8}"]
    assert "\nv = {1, 2, 3, 4}\nw = {5, 6, 7, 8}\n" in out
    assert 'No symbol "sum" in current context.' in out
    assert vals[2] == "0"                                          # down: dot again, sum = 0
    assert "Bottom (innermost) frame selected; you cannot go down." in out
    assert "No frame at level 9." in out
    assert re.search(rf"Run till exit from #0  dot \(a={HEX}, b={HEX}, n=4\) at vars.c:\d+", out)
    assert re.search(r"Value returned is \$\d+ = 70$", out, re.M)


def test_o0_structs_pointers_enums_and_set_var(o0):
    syms = symbols(o0)
    ret = line_of("LINE_WALK_RET")
    out = run_script(o0, ["break walk", "run", "p *list", "p list->next->next->value",
                          "p *s", "p s->w[2]", "p s->c", "p/d s->c", "p s->tag", "p s->p",
                          "whatis s", "whatis *s", "ptype s", "ptype struct node",
                          f"break vars.c:{ret}", "continue", "p total", "p s->p",
                          "set var total = 100", "p total", "set var s->tag = 'z'", "p s->tag",
                          "finish", "continue"])
    n1, n2 = syms["n1"], syms["n2"]
    assert re.search(rf"Breakpoint 1, walk \(list=0x{n1:x} <n1>, s={HEX}\) at vars.c:\d+", out)
    vals = printed(out)
    assert vals[:8] == [f"{{value = 10, next = 0x{n2:x} <n2>}}", "30",
                        "{p = {x = 1, y = 2}, c = GREEN, tag = 107 'k', w = {7, 8, 9}}",
                        "9", "GREEN", "5", "107 'k'", "{x = 1, y = 2}"]
    assert "type = shape_t *\ntype = shape_t\n" in out
    assert ("type = struct {\n    struct point p;\n    enum color c;\n    char tag;\n"
            "    short w[3];\n} *\n") in out
    assert "type = struct node {\n    int value;\n    struct node *next;\n}\n" in out
    # at `return total + s->c`: total = 10 + 20 + 30, stored in s->p.x
    assert vals[8:12] == ["60", "{x = 60, y = 2}", "100", "122 'z'"]
    assert re.search(r"Value returned is \$\d+ = 105$", out, re.M)        # 100 + GREEN
    assert "d=70 t=105 r3=109 x=60" in out


def test_o0_globals_types_and_artificial_arrays(o0):
    syms = symbols(o0)
    out = run_script(o0, ["p gpoint", "p garr", "p garr[2]@2", "p gname", "p gcolor",
                          "p (enum color)5", "p (enum color)1", "p gword", "p &gpoint", "p head",
                          "p *head->next", "p sizeof(shape_t)", "p &garr[1]", "p *&garr[1]@3",
                          "ptype enum color", "whatis gword", "ptype gword", "whatis garr",
                          "ptype head", "p dot", "whatis worker", "p gpoint.x + gpoint.y",
                          "set var gpoint.y = 9", "p gpoint"])
    assert "Traceback" not in out and "internal error" not in out
    assert printed(out) == [
        "{x = 3, y = -4}", "{10, 20, 30, 40, 50}", "{30, 40}", '"pulp"', "BLUE", "GREEN", "1",
        '{u = 287454020, b = "D3\\"\\021"}', f"(struct point *) 0x{syms['gpoint']:x} <gpoint>",
        f"(struct node *) 0x{syms['n1']:x} <n1>",
        f"{{value = 20, next = 0x{syms['n3']:x} <n3>}}", "20",
        f"(int *) 0x{syms['garr'] + 4:x} <garr+4>", "{20, 30, 40}",
        f"{{int (const int *, const int *, int)}} 0x{syms['dot']:x} <dot>",
        "-1", "{x = 3, y = 9}"]
    assert "type = enum color {RED, GREEN = 5, BLUE}" in out
    assert "type = union word\n" in out
    assert "type = union word {\n    uint32_t u;\n    uint8_t b[4];\n}" in out
    assert "type = int [5]" in out
    assert "type = struct node {\n    int value;\n    struct node *next;\n} *" in out
    assert "type = void (void *)" in out


def test_o0_cluster_worker(o0):
    worker = line_of("LINE_WORKER")
    fork = line_of("LINE_MAIN_FORK")
    out = run_script(o0, [f"break vars.c:{worker} if id == 3", "run", "info locals", "info args",
                          "p arg", "bt", "thread 1", "bt", "frame function main", "p d", "p t",
                          "p s.p.x", "thread 4", "p mine", "p id * id", "continue"])
    assert "Traceback" not in out and "internal error" not in out
    # the condition uses the local `id`: the stop is on core 3 (thread 4)
    assert f"Breakpoint 1, worker (arg=0x64) at vars.c:{worker}" in out
    assert "\nid = 3\nbase = 100\nmine = 109\n" in out           # 100 + 3 * 3
    assert "\narg = 0x64\n" in out
    # a worker core was dispatched from its sleep loop, core 0 called pi_cl_team_fork
    assert re.search(rf"^#1  {HEX} in __pulp_worker_loop \(core_id=3\) at cluster.c:\d+$", out, re.M)
    assert re.search(rf"^#\d  {HEX} in pi_cl_team_fork \(nb_cores=4, entry={HEX} <worker>, "
                     rf"arg=0x64\) at cluster.c:\d+$", out, re.M)
    assert re.search(rf"^#\d  {HEX} in main \(\) at vars.c:{fork}\n{fork}\t", out, re.M)
    vals = printed(out)
    assert vals == ["(void *) 0x64", "70", "65", "60", "109", "9"]
    assert "d=70 t=65 r3=109 x=60" in out


def test_errors_are_gdb_one_liners(o0):
    commands = ["info locals", "up", "bt", "ptype struct nosuch", "p gpoint.z", "p gcount.x",
                "p garr@0", "p 5@2", "p *gpoint", "whatis nosuch", "break walk", "run",
                "p s->nosuch", "p list->value.x", "p &total + ", "down"]
    out = run_script(o0, commands)
    assert "Traceback" not in out and "internal error" not in out
    for expected in ["No frame selected.", "No stack.", "No struct type named nosuch.",
                     "There is no member named z.",
                     "Attempt to extract a component of a value that is not a structure.",
                     "Invalid number 0 of repetitions.",
                     "Only values in memory can be extended with '@'.",
                     "Attempt to take contents of a non-pointer value.",
                     'No symbol "nosuch" in current context.',
                     "There is no member named nosuch.",
                     "A syntax error in expression",
                     "Bottom (innermost) frame selected; you cannot go down."]:
        assert expected in out, expected


# ------------------------------------------------------------------ -O2 (what gdb prints)

def test_o2_entry_values_and_optimized_out(o2):
    ret = line_of("LINE_DOT_RET")
    main_dot = line_of("LINE_MAIN_DOT")
    out = run_script(o2, ["break dot", f"break vars.c:{ret}", "run", "info args", "p *a@4",
                          "info locals", "continue", "p sum", "info locals", "p a", "bt", "up",
                          "p d", "p v", "p &d", "set var d = 3", "p s", "down", "finish"])
    assert "Traceback" not in out and "internal error" not in out
    # n is passed in a2; main's call site says a2 = 4 (DW_AT_GNU_call_site_value)
    assert re.search(rf"Breakpoint 1, dot \(a={HEX}, b={HEX}, n=n@entry=4\) at vars.c:\d+", out)
    assert re.search(rf"\na = {HEX}\nb = {HEX}\nn = 4\n", out)
    assert "\ni = 0\nsum = 0\n" in out
    assert f"Breakpoint 2, dot (a=<optimized out>, b=<optimized out>, n=n@entry=4) at vars.c:{ret}" in out
    vals = printed(out)
    assert vals[:2] == ["{1, 2, 3, 4}", "70"]
    assert "\nsum = 70\n" in out
    assert vals[2] == "<optimized out>"
    assert re.search(rf"^#1  {HEX} in main \(\) at vars.c:{main_dot}$", out, re.M)
    # in main before dot returns: d has no location yet, v/w live in .rodata copies
    assert vals[3:5] == ["<optimized out>", "<optimized out>"]
    assert "Can't take address of \"d\" which isn't an lvalue." in out
    assert "Left operand of assignment is not an lvalue." in out
    assert vals[5] == "{p = {x = 0, y = 0}, c = RED, tag = 0 '\\000', w = {0, 0, 0}}"
    assert re.search(r"Value returned is \$\d+ = 70$", out, re.M)


def test_o2_walk_and_main_locals(o2):
    syms = symbols(o2)
    out = run_script(o2, ["break walk", "run", "p *s", "p list->next->value", "finish",
                          "info locals"])
    assert re.search(rf"Breakpoint 1, walk \(list=0x{syms['n1']:x} <n1>, s=s@entry={HEX}\) at vars.c:\d+", out)
    vals = printed(out)
    assert vals[:2] == ["{p = {x = 1, y = 2}, c = GREEN, tag = 107 'k', w = {7, 8, 9}}", "20"]
    assert re.search(r"Value returned is \$\d+ = 65$", out, re.M)
    assert ("\ns = {p = {x = 60, y = 2}, c = GREEN, tag = 107 'k', w = {7, 8, 9}}\n"
            "d = 70\nt = <optimized out>\nv = <optimized out>\nw = <optimized out>\n") in out


def test_o2_worker_register_variable_set_var(o2):
    worker = line_of("LINE_WORKER")
    fork = line_of("LINE_MAIN_FORK")
    out = run_script(o2, [f"break vars.c:{worker} if mine == 109", "run", "info locals", "bt",
                          "thread 1", "frame function main", "info locals", "thread 4",
                          "set var mine = 5", "p mine", "p $a0", "continue"])
    assert "Traceback" not in out and "internal error" not in out
    assert f"Breakpoint 1, worker (arg=<optimized out>) at vars.c:{worker}" in out
    assert "\nid = <optimized out>\nbase = <optimized out>\nmine = 109\n" in out
    assert re.search(rf"^#1  {HEX} in __pulp_worker_loop \(core_id=<optimized out>\) at cluster.c:\d+$",
                     out, re.M)
    assert re.search(rf"^#\d  {HEX} in main \(\) at vars.c:{fork}$", out, re.M)
    # main's locals through the CFI-unwound callee-saved registers (s1 = t, s2 = d)
    assert "\nd = 70\nt = 65\n" in out
    assert printed(out) == ["5", "5"]
    # mine lives in a0: the store `results[id] = mine` writes the new value
    assert "d=70 t=65 r3=5 x=60" in out


def test_o0_info_frame_bt_full_displays_and_finish_selected(o0):
    syms = symbols(o0)
    out = run_script(o0, ["break walk", "break dot", "run", "display sum", "display gcount",
                          "bt full", "up", "info frame", "down", "info frame", "continue",
                          "info args"])
    assert "Traceback" not in out and "internal error" not in out
    # bt full: each frame's locals indented (dot: sum; main: v, w, d, s, t)
    assert re.search(r"^#0  dot .*\n        sum = 0\n#1 ", out, re.M)
    assert "\n        v = {1, 2, 3, 4}\n        w = {5, 6, 7, 8}\n" in out
    assert re.search(rf"^Stack level 1, frame at {HEX}:\n pc = {HEX} in main \(vars.c:{line_of('LINE_MAIN_DOT')}\)",
                     out, re.M)
    assert re.search(rf"^ Arglist at {HEX}, args: a={HEX}, b={HEX}, n=4$", out, re.M)
    assert re.search(rf"^ Saved registers:\n  ra at {HEX}, fp at {HEX}, pc at {HEX}$", out, re.M)
    # the display of dot's local shows in dot only; the global one everywhere
    after = out[out.index(f"walk (list=0x{syms['n1']:x} <n1>"):]
    assert "2: gcount = 7" in after and "1: sum" not in after


def test_o0_finish_from_selected_frame(o0):
    worker = line_of("LINE_WORKER")
    # the call is the last code of its line (-O0, result unused): the return address
    # starts the printf line
    after = line_of("LINE_MAIN_PRINT")
    # core 0 runs worker() from pi_cl_team_fork: `up` + `finish` returns to main
    out = run_script(o0, [f"break vars.c:{worker}", "run", "delete", "up", "finish", "bt"])
    assert "Traceback" not in out and "internal error" not in out
    assert re.search(rf"Run till exit from #1  {HEX} in pi_cl_team_fork \(nb_cores=4, "
                     rf"entry={HEX} <worker>, arg=0x64\) at cluster.c:\d+\n"
                     rf"main \(\) at vars.c:{after}\n{after}\t", out)
    assert "Value returned" not in out                     # void
    assert re.search(rf"^#0  main \(\) at vars.c:{after}$", out, re.M)


# ------------------------------------------------------------------ more C types (-O0)

TYPES_C = """\
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

struct flags { unsigned a : 3; signed b : 5; unsigned c : 8; };
typedef int (*binop_t)(int, int);
struct ops { const char *name; binop_t fn; float scale; double big; bool on; };
enum sign { NEG = -1, ZERO, POS };
enum bits { B0 = 1, B1 = 2, B2 = 4 };

int grid[2][3] = {{1, 2, 3}, {4, 5, 6}};
struct flags gflags = {5, -3, 200};
char buf[16] = "hi";
char zeros[20];
unsigned char ubytes[3] = {1, 200, 255};
float gf = 1.5f;
double gd = 3.141592653589793;
bool gb = true;
enum sign gs = NEG;
enum bits gbits = B0 | B2;
int64_t big64 = -5000000000LL;
uint16_t u16 = 65535;
int *null_ptr;
const char *greeting = "hello";

static int add(int x, int y) { return x + y; }
struct ops gops = {"add", add, 0.25f, -2.5e-3, false};
int ones[12] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2};

__attribute__((noinline)) int use(struct ops *o, int k)
{
    int r = o->fn(k, 2);           /* LINE_USE */
    return r;
}

int main(void)
{
    int r = use(&gops, 40);
    printf("%d %s %d\\n", r, buf, grid[1][2]);
    return 0;
}
"""


@pytest.fixture(scope="module")
def types_elf() -> Path:
    return build_c("debug_vars", "types", TYPES_C, extra_args=["-O0", "-g"])


def test_types_values_and_formats(types_elf):
    syms = symbols(types_elf)
    out = run_script(types_elf, [
        "break use", "run", "p grid", "p grid[1]", "p gflags", "p gflags.b", "p buf", "p zeros",
        "p ubytes", "p gf", "p gd", "p gb", "p gs", "p gbits", "p (enum bits)3", "p (enum bits)8",
        "p big64", "p u16", "p null_ptr", "p *o", "p o->fn", "p ones", "p/x gflags", "p/x grid",
        "p/c ubytes", "p gf * 2", "p -gs", "p sizeof(gops)", "p add", "p &grid[1]", "p *grid@2",
        "p gd + 1", "p k + 2", "set var gf = 2.25", "p gf", "set var gflags.b = -16", "p gflags",
        "ptype struct ops", "ptype struct flags", "whatis grid", "whatis grid[0]", "ptype binop_t",
        "whatis o->fn", "finish", "continue"])
    assert "Traceback" not in out and "internal error" not in out
    assert f"Breakpoint 1, use (o=0x{syms['gops']:x} <gops>, k=40) at types.c:{out_line(TYPES_C, 'LINE_USE')}" in out
    vals = printed(out)
    name = vals[17][vals[17].index("name = ") + 7:].split(" ")[0]      # "add" in .rodata
    assert vals[:32] == [
        "{{1, 2, 3}, {4, 5, 6}}", "{4, 5, 6}", "{a = 5, b = -3, c = 200}", "-3",
        # char arrays: the whole array, one trailing NUL dropped, runs of > 10 repeated
        "\"hi\", '\\000' <repeats 13 times>", "'\\000' <repeats 19 times>", '"\\001\\310\\377"',
        "1.5", "3.1415926535897931", "true", "NEG", "(B0 | B2)", "(B0 | B1)", "(unknown: 0x8)",
        "-5000000000", "65535", "(int *) 0x0",
        f"{{name = {name} \"add\", fn = 0x{syms['add']:x} <add>, scale = 0.25, "
        "big = -0.0025000000000000001, on = false}",
        f"(binop_t) 0x{syms['add']:x} <add>", "{1 <repeats 11 times>, 2}",
        "{a = 0x5, b = 0xfffffffd, c = 0xc8}", "{{0x1, 0x2, 0x3}, {0x4, 0x5, 0x6}}",
        "{1 '\\001', 200 '\\310', 255 '\\377'}", "3", "POS", "32",
        f"{{int (int, int)}} 0x{syms['add']:x} <add>", f"(int (*)[3]) 0x{syms['grid'] + 12:x} <grid+12>",
        "{{1, 2, 3}, {4, 5, 6}}", "4.1415926535897931", "42", "2.25"]
    assert vals[32] == "{a = 5, b = -16, c = 200}"
    assert ("type = struct ops {\n    const char *name;\n    binop_t fn;\n    float scale;\n"
            "    double big;\n    _Bool on;\n}") in out
    assert ("type = struct flags {\n    unsigned int a : 3;\n    int b : 5;\n"
            "    unsigned int c : 8;\n}") in out
    assert "type = int [2][3]\ntype = int [3]\ntype = int (*)(int, int)\ntype = binop_t\n" in out
    assert re.search(r"Value returned is \$\d+ = 42$", out, re.M)           # add(40, 2)
    assert "42 hi 6" in out


def out_line(source: str, marker: str) -> int:
    return next(n for n, t in enumerate(source.splitlines(), 1) if marker in t)


def test_dwarf5_indexed_addresses_and_loclists():
    """clang -gdwarf-5: DW_OP_addrx through .debug_addr, .debug_loclists, DW_TAG_call_site."""
    elf = build_c("debug_vars", "vars", VARS_C, "vars-O2-dwarf5", extra_args=["-O2", "-gdwarf-5"])
    syms = symbols(elf)
    out = run_script(elf, ["p gpoint", "p head->next->value", "p gname", "break walk", "run",
                           "p *s", "finish", "info locals"])
    assert "Traceback" not in out and "internal error" not in out
    vals = printed(out)
    assert vals[:3] == ["{x = 3, y = -4}", "20",
                        "{p = {x = 1, y = 2}, c = GREEN, tag = 107 'k', w = {7, 8, 9}}"]
    # gname is never used: the linker dropped it, DWARF says address 0 (gdb says the same)
    assert "Cannot access memory at address 0x0" in out
    assert re.search(rf"walk \(list=0x{syms['n1']:x} <n1>, s=s@entry={HEX}\) at \S*vars.c:\d+", out)
    assert re.search(r"Value returned is \$\d+ = 65$", out, re.M)
    assert "\nd = 70\n" in out


def test_o2_inline_frames_of_a_sleeping_core(o2):
    """Cores 4..7 are outside the team of pi_cl_team_fork(4, ...): they sleep in
    __pulp_worker_loop's eu_dispatch_pop() -> evt_read32(ARCHI_EU_DEMUX_ADDR,
    EU_DISPATCH_DEMUX_OFFSET + EU_DISPATCH_FIFO_ACCESS), both inlined at -O2: gdb shows
    them as frames with their arguments."""
    worker = line_of("LINE_WORKER")
    runtime = Path(toolchain.runtime_dir())
    loop_line = next(n for n, t in enumerate((runtime / "cluster.c").read_text().splitlines(), 1)
                     if "(*entry)" in t and "eu_dispatch_pop()" in t)
    out = run_script(o2, [f"break vars.c:{worker} if mine == 109", "run", "thread 5", "bt",
                          "info args", "info locals", "p base + offset", "up", "info args",
                          "up", "info locals", "down 2", "p offset"])
    assert "Traceback" not in out and "internal error" not in out
    bt = out[out.index("[Switching to thread 5"):]
    # 0x10204000 = ARCHI_EU_DEMUX_ADDR, 0x80 + 0 = EU_DISPATCH_DEMUX_OFFSET + EU_DISPATCH_FIFO_ACCESS
    assert re.search(rf"^#0  ({HEX} in )?evt_read32 \(base=270548992, offset=128\) at cluster.h:\d+\n"
                     rf"#1  eu_dispatch_pop \(\) at cluster.h:\d+\n"
                     rf"#2  __pulp_worker_loop \(core_id=[^)]*\) at cluster.c:{loop_line}\n"
                     rf"#3  {HEX} in _start \(\)", bt, re.M), bt
    assert "\nbase = 270548992\noffset = 128\n" in bt
    assert "No arguments." in bt                       # eu_dispatch_pop (void)
    assert re.search(rf"^#2  __pulp_worker_loop \(core_id=[^)]*\) at cluster.c:{loop_line}\n{loop_line}\t",
                     bt, re.M)
    assert re.search(r"^entry = ", bt, re.M)            # __pulp_worker_loop's locals
    vals = printed(bt)
    assert vals[0] == str(0x10204000 + 0x80) and vals[-1] == "128"


def test_o2_next_steps_over_inlined_calls_step_enters_them(firmware_elf):
    """matmul_int8 (-O2): lcg_next() is inlined into main's fill loop.  gdb's `next` steps
    over the inlined call; `step` from the loop line stops at the call site first (line 88,
    still main), the next `step` enters it without running (an inline frame: lcg_next ()
    at main.c:48, called from main.c:88); `next` at its last line comes back to main."""
    elf = firmware_elf("matmul_int8")
    src = (Path(toolchain.firmware_dir()) / "apps" / "matmul_int8" / "main.c").read_text().splitlines()
    body = next(n for n, t in enumerate(src, 1) if "lcg_state = lcg_state * 1664525u" in t)
    ret = body + 1
    call = next(n for n, t in enumerate(src, 1) if "A[i][k] = lcg_next();" in t)
    out = run_script(elf, ["break main", "run", "next", "next", "next", "next", "step", "p $pc",
                           "step", "p $pc", "bt", "info frame", "next", "next"])
    assert "Traceback" not in out and "internal error" not in out
    before_step = out[:out.index("lcg_next () at")]
    assert f"\n{body}\t" not in before_step                  # next never enters lcg_next
    assert before_step.count(f"\n{call}\t") == 3               # 2 nexts, then the call site
    pcs = printed(out)
    assert pcs[0] == pcs[1]                                    # entering ran nothing
    assert re.search(rf"^lcg_next \(\) at main.c:{body}\n{body}\t", out, re.M)
    assert re.search(rf"^#0  lcg_next \(\) at main.c:{body}\n#1  main \(\) at main.c:{call}$", out, re.M)
    after = out[out.index("#1  main ()"):]
    assert re.search(rf"^{ret}\t", after, re.M)
    assert re.search(rf"^main \(\) at main.c:{call}\n{call}\t", after, re.M)


def test_o0_watch_local_until_its_frame_exits(o0):
    """`watch sum` in dot: sum = 0, 5, 17, 38, 70 (1*5, +2*6, +3*7, +4*8); when dot returns,
    gdb deletes the watchpoint and stops in main at the call's return address."""
    main_dot = line_of("LINE_MAIN_DOT")
    # (the first store, sum = 0, changes it only if the stack slot was not 0 already)
    out = run_script(o0, ["break dot", "run", "watch sum", "continue", "continue", "continue",
                          "continue", "continue", "continue", "info watchpoints", "continue"])
    assert "Traceback" not in out and "internal error" not in out
    changes = re.findall(r"Old value = (-?\d+)\nNew value = (-?\d+)", out)
    assert changes[-3:] == [("5", "17"), ("17", "38"), ("38", "70")]
    assert re.search(rf"\nWatchpoint 2 deleted because the program has left the block in\n"
                     rf"which its expression is valid.\n{HEX} in main \(\) at vars.c:{main_dot}\n{main_dot}\t",
                     out)
    assert "No watchpoints." in out
    assert "d=70 t=65 r3=109 x=60" in out


def test_o2_set_var_in_an_outer_frame_register(o2):
    """main's d and t live in callee-saved registers (s2, s1) at -O2; from core 0's worker
    frame, `frame function main` + `set var` changes what main prints afterwards."""
    worker = line_of("LINE_WORKER")
    out = run_script(o2, [f"break vars.c:{worker} if mine == 109", "run", "thread 1",
                          "frame function main", "set var d = 71", "set var t = d + 1",
                          "info locals", "frame 0", "p d", "delete", "continue"])
    assert "Traceback" not in out and "internal error" not in out
    assert "\nd = 71\nt = 72\n" in out
    assert 'No symbol "d" in current context.' in out        # frame 0 is worker again
    assert "d=71 t=72 r3=109 x=60" in out
