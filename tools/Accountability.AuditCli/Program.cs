using Accountability.AuditCli;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};
var commands = new AuditCommands(Console.Out, Console.Error, outputIsTerminal: !Console.IsOutputRedirected, errorIsTerminal: !Console.IsErrorRedirected);
return await commands.RunAsync(args, cancellation.Token);
