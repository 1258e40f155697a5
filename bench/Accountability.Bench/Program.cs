using System.Globalization;
using Accountability.Bench;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

var options = BenchOptions.Parse(args, out var error, out var help);
if (help)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}
if (options is null)
{
    Console.Error.WriteLine($"bench: {error}");
    Console.Error.WriteLine("bench: --help lists the options");
    return 2;
}

try
{
    return await BenchRun.RunAsync(options);
}
catch (BenchException exception)
{
    Console.Error.WriteLine($"bench: {exception.Message}");
    return 1;
}
