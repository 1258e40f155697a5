using Microsoft.AspNetCore.Builder;

namespace Accountability.ServiceDefaults;

/// <summary>How every service and the console create their builder.</summary>
public static class AccountabilityWebApplication
{
    /// <summary>The host setting that makes the JSON settings files watch for changes (ASP.NET Core's default: on).</summary>
    public const string ReloadConfigOnChange = "hostBuilder:reloadConfigOnChange";

    /// <summary>
    /// <see cref="WebApplication.CreateBuilder(string[])"/>, with settings read once at start. Nothing here reloads
    /// them, and watching for changes meant a recursive watch on the content root, the working directory: in local runs
    /// that is the repository, whose .state folder holds PostgreSQL's and RabbitMQ's files, so every write to the
    /// database woke every service to look at the changed file (about 300 lstat calls a second in escalation alone, in make bench).
    /// A setting given on the command line or as DOTNET_hostBuilder__reloadConfigOnChange still wins. The settings files
    /// beside the assembly are read too (<see cref="SettingsFiles"/>).
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args.Any(a => a.Contains(ReloadConfigOnChange, StringComparison.OrdinalIgnoreCase)) ||
                   Environment.GetEnvironmentVariable("DOTNET_" + ReloadConfigOnChange.Replace(":", "__", StringComparison.Ordinal)) is not null
                ? args
                : [.. args, $"--{ReloadConfigOnChange}=false"],
        });
        SettingsFiles.ReadBesideTheAssembly(builder.Configuration, builder.Environment.EnvironmentName, builder.Environment.ContentRootPath, AppContext.BaseDirectory);
        return builder;
    }
}
