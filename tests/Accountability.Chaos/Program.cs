using Accountability.Chaos;

ChaosOptions options;
try
{
    options = ChaosOptions.Parse(args);
}
catch (Exception exception) when (exception is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine(exception.Message);
    Console.Error.WriteLine(ChaosOptions.Usage);
    return 2;
}
return await ChaosRun.RunAsync(options);
