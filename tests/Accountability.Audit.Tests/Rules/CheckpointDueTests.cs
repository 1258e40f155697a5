using Accountability.Audit.Features.Checkpoints;
using Xunit;

namespace Accountability.Audit.Tests.Rules;

public sealed class CheckpointDueTests
{
    [Fact]
    public void The_first_append_after_everything_was_signed_wakes_the_signer_to_start_the_age_clock()
    {
        var due = new CheckpointDue(everyEvents: 1000);
        due.Looking();
        Assert.False(due.AllSigned());

        Assert.True(due.Appended(1));
    }

    [Fact]
    public void Appends_short_of_the_count_do_not_wake_the_signer_once_it_knows_records_are_unsigned()
    {
        var due = new CheckpointDue(everyEvents: 1000);
        due.Looking();
        Assert.False(due.Unsigned(990));

        Assert.False(due.Appended(5));
        Assert.False(due.Appended(4));
        Assert.True(due.Appended(1)); // the thousandth unsigned record
    }

    [Fact]
    public void An_append_during_a_look_that_found_everything_signed_calls_for_another_look()
    {
        var due = new CheckpointDue(everyEvents: 1000);
        due.Looking();
        due.Unsigned(10);
        due.Looking();
        // Committed after the look read the head: too few to wake the signer by the old count...
        Assert.False(due.Appended(1));
        // ...but the look saw nothing unsigned, so this record would wait for the idle look.
        Assert.True(due.AllSigned());
    }

    [Fact]
    public void A_look_forgets_the_appends_counted_before_it()
    {
        var due = new CheckpointDue(everyEvents: 100);
        due.Looking();
        due.Unsigned(1);
        Assert.False(due.Appended(59));

        due.Looking(); // the signer woke on its own timer and counted those 60 in the head
        Assert.False(due.Unsigned(60));
        Assert.False(due.Appended(39));
        Assert.True(due.Appended(1));
    }
}
