using System.Data;
using Npgsql;

namespace Accountability.Messaging.Database;

/// <summary>
/// Watches one connection of a process that runs its schema's relay: the outbox trigger tells the session with a
/// NOTICE when a statement wrote outbox rows (migration 0003, instead of a NOTIFY, which wakes every listening session
/// of the database and serialises notifying commits). When the connection is closed, after the transaction's commit,
/// the relay is woken. A transaction that rolled back wakes it for nothing: it claims no rows.
/// </summary>
internal sealed class OutboxWriteWatch
{
    /// <summary>The text of the trigger's NOTICE.</summary>
    public const string NoticeText = "accountability: outbox written";

    private readonly Action wakeRelay;
    private bool written;

    private OutboxWriteWatch(Action wakeRelay) => this.wakeRelay = wakeRelay;

    public static void Attach(NpgsqlConnection connection, Action wakeRelay)
    {
        var watch = new OutboxWriteWatch(wakeRelay);
        connection.Notice += watch.OnNotice;
        connection.StateChange += watch.OnStateChange;
    }

    private void OnNotice(object sender, NpgsqlNoticeEventArgs args)
    {
        if (string.Equals(args.Notice.MessageText, NoticeText, StringComparison.Ordinal))
            written = true;
    }

    private void OnStateChange(object sender, StateChangeEventArgs args)
    {
        if (args.CurrentState != ConnectionState.Closed || !written)
            return;
        written = false;
        wakeRelay();
    }
}
