// Issues a locally signed JWT for `make token`: the same key, issuer and audience as the
// services started by `make up`. Never for deployments.
//
//   Accountability.DevToken --role <role> [--sub <person-id>] --key-file <path>
//       [--directory <deploy/org/directory.json>] [--issuer accountability-local]
//       [--audience accountability] [--lifetime-hours 8]
//
// Prints the token alone on stdout. Any error: one line on stderr, exit code 2.

using System.Globalization;
using System.Text.Json;
using Accountability.Contracts.Directory;
using Accountability.ServiceDefaults.Security;

namespace Accountability.DevToken;

public static class Program
{
    private const string Usage =
        "usage: Accountability.DevToken --role <role> [--sub <person-id>] --key-file <path> " +
        "[--directory <path to deploy/org/directory.json>] [--issuer accountability-local] " +
        "[--audience accountability] [--lifetime-hours 8]";

    public static int Main(string[] args)
    {
        try
        {
            return Run(args);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"devtoken: {e.Message}");
            return 2;
        }
    }

    private static int Run(string[] args)
    {
        var options = Parse(args);
        if (options is null)
        {
            Console.WriteLine(Usage);
            return 0;
        }

        if (!Roles.All.Contains(options.Role, StringComparer.Ordinal))
            throw new UsageException($"unknown role '{options.Role}' (known roles: {string.Join(", ", Roles.All)})");

        var signingKey = ReadKey(options.KeyFile);
        var directory = options.DirectoryFile is null ? null : ReadDirectory(options.DirectoryFile);
        var subject = PickSubject(options, directory);

        var auth = new AuthOptions { Issuer = options.Issuer, Audience = options.Audience, SigningKey = signingKey };
        string token;
        try
        {
            token = LocalTokens.Issue(auth, subject, [options.Role], options.Lifetime);
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException($"cannot sign with {options.KeyFile}: {e.Message}");
        }

        Console.WriteLine(token);
        return 0;
    }

    private static string PickSubject(Options options, OrgDirectory? directory)
    {
        if (options.Subject is not null)
        {
            if (directory is null)
                return options.Subject;
            var person = directory.People.FirstOrDefault(p => p.Id == options.Subject)
                ?? throw new UsageException($"person '{options.Subject}' is not in {options.DirectoryFile}");
            if (!person.Roles.Contains(options.Role, StringComparer.Ordinal))
                Console.Error.WriteLine(
                    $"devtoken: warning: {person.Id} does not hold the role '{options.Role}' in the directory (holds: {string.Join(", ", person.Roles)})");
            if (!person.Active)
                Console.Error.WriteLine($"devtoken: warning: {person.Id} is inactive in the directory");
            return person.Id;
        }

        if (directory is null)
            throw new UsageException("give --sub <person-id>, or --directory so that a person holding the role can be picked");

        var holders = directory.People.Where(p => p.Roles.Contains(options.Role, StringComparer.Ordinal)).ToList();
        var chosen = holders.FirstOrDefault(p => p.Active) ?? holders.FirstOrDefault()
            ?? throw new UsageException($"nobody in {options.DirectoryFile} holds the role '{options.Role}'");
        Console.Error.WriteLine($"devtoken: {options.Role} token for {chosen.Id} ({chosen.Name})");
        return chosen.Id;
    }

    private static string ReadKey(string path)
    {
        if (!File.Exists(path))
            throw new UsageException($"key file not found: {path} (make up creates it)");
        string key;
        try
        {
            key = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read key file {path}: {e.Message}");
        }
        if (key.Length == 0)
            throw new UsageException($"key file is empty: {path}");
        return key;
    }

    private static OrgDirectory ReadDirectory(string path)
    {
        if (!File.Exists(path))
            throw new UsageException($"directory file not found: {path}");
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<OrgDirectory>(stream, new JsonSerializerOptions(JsonSerializerDefaults.Web))
                ?? throw new UsageException($"directory file is empty: {path}");
        }
        catch (JsonException e)
        {
            throw new UsageException($"directory file {path} is not a valid directory: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read directory file {path}: {e.Message}");
        }
    }

    /// <summary>Null when help was asked for.</summary>
    private static Options? Parse(string[] args)
    {
        string? role = null, subject = null, keyFile = null, directory = null;
        string issuer = AuthOptions.LocalIssuer, audience = new AuthOptions().Audience;
        var lifetime = TimeSpan.FromHours(8);

        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string? inline = null;
            var eq = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inline = arg[(eq + 1)..];
                arg = arg[..eq];
            }

            string Value()
            {
                if (inline is not null)
                    return inline;
                if (i + 1 >= args.Length || args[i + 1].Length == 0)
                    throw new UsageException($"{arg} needs a value. {Usage}");
                return args[++i];
            }

            switch (arg)
            {
                case "-h" or "--help" or "-?":
                    return null;
                case "--role":
                    role = Value();
                    break;
                case "--sub":
                    subject = Value();
                    break;
                case "--key-file":
                    keyFile = Value();
                    break;
                case "--directory":
                    directory = Value();
                    break;
                case "--issuer":
                    issuer = Value();
                    break;
                case "--audience":
                    audience = Value();
                    break;
                case "--lifetime-hours":
                    var text = Value();
                    if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var hours)
                        || !double.IsFinite(hours) || hours <= 0 || hours > 24 * 366)
                        throw new UsageException($"--lifetime-hours must be a positive number of hours, not '{text}'");
                    lifetime = TimeSpan.FromHours(hours);
                    break;
                default:
                    throw new UsageException($"unknown argument '{args[i]}'. {Usage}");
            }
        }

        if (string.IsNullOrWhiteSpace(role))
            throw new UsageException($"--role is required. {Usage}");
        if (string.IsNullOrWhiteSpace(keyFile))
            throw new UsageException($"--key-file is required. {Usage}");
        if (subject is not null && subject.Trim().Length == 0)
            throw new UsageException("--sub must not be empty");

        return new Options(role, subject, keyFile, directory, issuer, audience, lifetime);
    }

    private sealed record Options(
        string Role, string? Subject, string KeyFile, string? DirectoryFile, string Issuer, string Audience, TimeSpan Lifetime);

    private sealed class UsageException(string message) : Exception(message);
}
