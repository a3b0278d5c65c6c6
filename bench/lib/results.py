"""bench/RESULTS.md holds one section per benchmark script, each between two marker lines the
script owns: a run replaces its own section and leaves the others as they are."""
import os


def write_section(md, script, section_lines):
    """Replace SCRIPT's section of MD (e.g. script "bench/pull.sh") with SECTION_LINES, or
    append it when MD has none; returns the section's text."""
    begin = "<!-- %s writes from here to the next such line; edits are lost -->" % script
    end = "<!-- end of %s's section -->" % script
    section = "\n".join([begin] + list(section_lines) + [end]) + "\n"
    text = open(md).read() if os.path.exists(md) else ""
    if begin in text:
        head, _, rest = text.partition(begin)
        _, found, tail = rest.partition(end)
        tail = tail.lstrip("\n") if found else ""
        text = head + section + ("\n" + tail if tail.strip() else "")
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    open(md, "w").write(text)
    return section
