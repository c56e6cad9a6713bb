"""No function outside demo/ is over radon's rank D (cc > 30), counted by scripts/complexity.py."""

from __future__ import annotations

import textwrap

from tests.core.scripts import load_script


def _counter():
    return load_script("complexity")


def test_the_counter_counts_as_radon(tmp_path):
    cc = _counter()
    source = textwrap.dedent(
        """
        def f(xs, a, b):
            if a and b:                      # if +1, and +1
                pass
            elif a or b or xs:               # elif +1, two ors +2
                pass
            for x in xs:                     # for +1
                while x:                     # while +1
                    break
                else:                        # while-else +1
                    pass
            try:
                pass
            except ValueError:               # +1
                pass
            except KeyError:                 # +1
                pass
            with open("x"):                  # with: nothing
                pass
            match a:
                case 1:                      # +1
                    pass
                case 2:                      # +1
                    pass
                case _:                      # the wildcard: nothing
                    pass
            ys = [y for y in xs if y if a]   # comprehension +1, two ifs +2
            def inner():                     # counted on its own
                if a:
                    return 1
            return 1 if ys else 0            # conditional expression +1
        """
    )
    path = tmp_path / "sample.py"
    path.write_text(source, encoding="utf-8")
    got = {b.name: b.complexity for b in cc.blocks(path, "sample.py")}
    assert got == {"f": 1 + 2 + 3 + 1 + 2 + 2 + 2 + 3 + 1, "f.inner": 2}
    assert [cc.rank(n) for n in (5, 6, 20, 21, 30, 31, 41)] == ["A", "B", "C", "D", "D", "E", "F"]


def test_no_function_outside_demo_is_over_rank_d():
    cc = _counter()
    over = [f"{b.path}:{b.line} {b.name} {b.complexity}" for b in cc.scan() if b.complexity > 30]
    assert over == []
