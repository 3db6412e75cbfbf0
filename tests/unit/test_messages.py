"""The words of a breach notice and a reminder, exactly: plain text and HTML, escaped once, with how the deadline
was counted (KT-19's ten working days here), and nothing about counting when a clock gives no explanation."""

from datetime import date

from workflows.messages import breach, reminder

COUNTED = ("10 working days from 8 December 2026 (KT-19)", "Christmas Day <25 Dec> does not count")


def test_a_breach_notice_in_text_and_html():
    message = breach("Action plan", "KT-19", "CASE-00007", "Brightwater & Co", date(2027, 1, 6),
                     "The case is marked as overdue.", list(COUNTED), "/cases/7?x=1&y=2")
    assert message.subject == "Overdue: Action plan for CASE-00007 was due by the end of Wednesday 6 January 2027"
    assert message.text == (
        "Action plan (KT-19) for case CASE-00007, Brightwater & Co, was due by the end of Wednesday 6 January 2027 "
        "and has not been done. The deadline is recorded as breached at that time.\n\n"
        "The case is marked as overdue.\n\n"
        "How the deadline was counted:\n- 10 working days from 8 December 2026 (KT-19)\n"
        "- Christmas Day <25 Dec> does not count\n\n"
        "Open it in Remedy: /cases/7?x=1&y=2")
    assert message.html == (
        "<p>Action plan (KT-19) for case CASE-00007, Brightwater &amp; Co, was due by the end of Wednesday 6 January "
        "2027 and has not been done. The deadline is recorded as breached at that time.</p>"
        "<p>The case is marked as overdue.</p>"
        "<p>How the deadline was counted:</p><ul><li>10 working days from 8 December 2026 (KT-19)</li>"
        "<li>Christmas Day &lt;25 Dec&gt; does not count</li></ul>"
        '<p><a href="/cases/7?x=1&amp;y=2">Open it in Remedy</a></p>')


def test_the_same_explanation_reads_the_same_in_every_message_that_shares_it():
    first = breach("Action plan", "KT-19", "CASE-00007", "Brightwater", date(2027, 1, 6), None, list(COUNTED), "/c/7")
    second = reminder("Action plan", "KT-19", "CASE-00008", "Riverside", date(2027, 1, 6), 2, COUNTED, "/c/8")
    for message in (first, second):
        assert "How the deadline was counted:\n- 10 working days from 8 December 2026 (KT-19)\n" in message.text
        assert "<li>Christmas Day &lt;25 Dec&gt; does not count</li></ul>" in message.html
    assert "CASE-00008, Riverside, is due in 2 working days" in second.text


def test_a_message_with_no_explanation_says_nothing_about_counting():
    message = reminder("Action plan", "KT-19", "CASE-00007", "Brightwater", date(2027, 1, 6), 2, [], "/cases/7")
    assert message.text == ("Action plan (KT-19) for case CASE-00007, Brightwater, is due in 2 working days: by the "
                            "end of Wednesday 6 January 2027.\n\nOpen it in Remedy: /cases/7")
    assert message.html == ("<p>Action plan (KT-19) for case CASE-00007, Brightwater, is due in 2 working days: by "
                            'the end of Wednesday 6 January 2027.</p><p><a href="/cases/7">Open it in Remedy</a></p>')
