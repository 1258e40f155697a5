using System.Globalization;
using System.Net.Mail;
using System.Text.RegularExpressions;
using Accountability.Contracts.Intake;
using Accountability.ServiceDefaults.Privacy;

namespace Accountability.Intake.Features.FileComplaint;

/// <summary>
/// The filing rules, as a pure function: request in, either a <see cref="ValidComplaint"/> or every
/// reason it is not one, keyed by field path. Messages never quote the submitted values.
/// </summary>
public static partial class ComplaintValidator
{
    public const int MaxNarrativeLength = 10_000;
    public const int MaxNameLength = 200;
    public const int MaxAddressLength = 500;
    public const int MaxOfficers = 50;
    public const int MaxAllegations = 50;
    public const int MaxOfficerDescription = 200;
    public static readonly IReadOnlyList<string> Districts = ["1", "2", "3", "4", "5"];

    /// <summary>Clocks differ a little between a clerk's terminal and the server.</summary>
    private static readonly TimeSpan FutureTolerance = TimeSpan.FromMinutes(5);

    public static (ValidComplaint? Complaint, Dictionary<string, string[]> Errors) Validate(
        FileComplaintRequest request, FilingRules rules, DateTimeOffset now)
    {
        var errors = new Dictionary<string, List<string>>();
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list))
                errors[field] = list = [];
            list.Add(message);
        }

        var category = request.Category;
        if (string.IsNullOrEmpty(category))
            Add("category", "Required.");
        else if (!ComplaintCategories.IsKnown(category))
            Add("category", $"Unknown category; use one of: {string.Join(", ", ComplaintCategories.All)}.");

        var narrative = request.Narrative;
        if (string.IsNullOrWhiteSpace(narrative))
            Add("narrative", "Required.");
        else if (narrative.Length > MaxNarrativeLength)
            Add("narrative", $"At most {MaxNarrativeLength} characters.");
        else
            CheckText("narrative", narrative, Add, allowLineBreaks: true);

        var channel = request.Channel;
        if (rules.FixedChannel is not null)
        {
            if (channel is not null && channel != rules.FixedChannel)
                Add("channel", $"This endpoint files complaints under channel '{rules.FixedChannel}' only.");
            channel = rules.FixedChannel;
        }
        else if (string.IsNullOrEmpty(channel))
            Add("channel", "Required.");
        else if (!ComplaintChannels.IsKnown(channel))
            Add("channel", $"Unknown channel; use one of: {string.Join(", ", ComplaintChannels.All)}.");

        var district = request.District;
        if (district is null)
        {
            if (rules.DistrictRequired)
                Add("district", "Required.");
        }
        else if (!Districts.Contains(district))
            Add("district", $"Unknown district; use one of: {string.Join(", ", Districts)}.");

        DateTimeOffset? occurredAt = null;
        if (request.OccurredAt is { } occurredText)
        {
            if (!ZonedTimestamp().IsMatch(occurredText)
                || !DateTimeOffset.TryParse(occurredText, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
                Add("occurredAt", "Must be an ISO 8601 date and time with a zone offset, e.g. 2025-03-01T14:05:00-05:00.");
            else if (parsed > now + FutureTolerance)
                Add("occurredAt", "Must not be in the future.");
            else
                occurredAt = parsed.ToUniversalTime(); // Npgsql writes timestamptz only from UTC; the instant is the same.
        }

        var location = ValidateLocation(request.Location, Add);

        var badges = new List<string>();
        if (request.SubjectOfficers is { } officers)
        {
            if (officers.Count > MaxOfficers)
                Add("subjectOfficers", $"At most {MaxOfficers} officers.");
            for (var i = 0; i < officers.Count && i < MaxOfficers; i++)
            {
                if (NormalizeBadge(officers[i]) is { } badge)
                {
                    if (!badges.Contains(badge))
                        badges.Add(badge);
                }
                else
                    Add($"subjectOfficers[{i}]", BadgeRule);
            }
        }

        var allegations = new List<ValidAllegation>();
        if (request.Allegations is { } allegationInputs)
        {
            if (allegationInputs.Count > MaxAllegations)
                Add("allegations", $"At most {MaxAllegations} allegations.");
            for (var i = 0; i < allegationInputs.Count && i < MaxAllegations; i++)
            {
                var allegation = allegationInputs[i];
                if (allegation is null)
                {
                    Add($"allegations[{i}]", "Must be an object {type, officerBadge, officerDescription}.");
                    continue;
                }
                var typeOk = ComplaintCategories.IsKnown(allegation.Type);
                if (!typeOk)
                    Add($"allegations[{i}].type", $"Required; one of: {string.Join(", ", ComplaintCategories.All)}.");
                // The badge is optional: an allegation against an unidentified officer is valid.
                var badge = string.IsNullOrWhiteSpace(allegation.OfficerBadge) ? "" : NormalizeBadge(allegation.OfficerBadge.Trim());
                if (badge is null)
                    Add($"allegations[{i}].officerBadge", BadgeRule + " Leave it out if you do not know it.");
                var description = string.IsNullOrWhiteSpace(allegation.OfficerDescription) ? null : allegation.OfficerDescription.Trim();
                if (description is { Length: > MaxOfficerDescription })
                    Add($"allegations[{i}].officerDescription", $"At most {MaxOfficerDescription} characters.");
                else if (description is not null && description.Any(char.IsControl))
                    Add($"allegations[{i}].officerDescription", "Must be one line of text.");
                if (typeOk && badge is not null)
                {
                    // An allegation names its officer; that officer is a subject of the complaint, listed or not.
                    if (badge.Length > 0 && !badges.Contains(badge))
                        badges.Add(badge);
                    allegations.Add(new ValidAllegation(allegation.Type!, badge, description));
                }
            }
        }
        if (badges.Count > MaxOfficers)
            Add("subjectOfficers", $"At most {MaxOfficers} officers, counting those named by allegations.");

        // Every complaint has something to find on: a named officer without an allegation of their own gets one of
        // the complaint's category, and a complaint with none at all gets one against an unidentified officer.
        if (category is not null && ComplaintCategories.IsKnown(category))
        {
            foreach (var badge in badges.Where(b => allegations.All(a => a.OfficerBadge != b)))
                allegations.Add(new ValidAllegation(category, badge));
            if (allegations.Count == 0)
                allegations.Add(new ValidAllegation(category, ""));
        }

        var complainant = ValidateComplainant(request.Complainant, Add);

        if (errors.Count > 0)
            return (null, errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));

        return (new ValidComplaint
        {
            Category = category!,
            Narrative = narrative!,
            Channel = channel!,
            District = district,
            OccurredAt = occurredAt,
            Location = location,
            SubjectOfficerBadges = badges,
            Allegations = allegations,
            Complainant = complainant.Contact,
        }, []);
    }

    public const string BadgeRule = "A badge number is 1 to 10 letters, digits or hyphens, starting with a letter or digit.";

    /// <summary>Upper-cases a badge, or returns null when it is not one.</summary>
    public static string? NormalizeBadge(string? badge) =>
        badge is not null && BadgeFormat().IsMatch(badge) ? badge.ToUpperInvariant() : null;

    private static ComplaintLocation? ValidateLocation(LocationInput? input, Action<string, string> add)
    {
        if (input is null)
            return null;
        var address = string.IsNullOrWhiteSpace(input.Address) ? null : input.Address.Trim();
        if (address is not null)
        {
            if (address.Length > MaxAddressLength)
                add("location.address", $"At most {MaxAddressLength} characters.");
            else
                CheckText("location.address", address, add, allowLineBreaks: false);
        }
        if (input.Latitude.HasValue != input.Longitude.HasValue)
            add("location", "Give both latitude and longitude, or neither.");
        if (input.Latitude is { } lat && (double.IsNaN(lat) || lat is < -90 or > 90))
            add("location.latitude", "Must be between -90 and 90.");
        if (input.Longitude is { } lon && (double.IsNaN(lon) || lon is < -180 or > 180))
            add("location.longitude", "Must be between -180 and 180.");
        if (address is null && input.Latitude is null && input.Longitude is null)
            return null;
        return new ComplaintLocation { Address = address, Latitude = input.Latitude, Longitude = input.Longitude };
    }

    private static (bool Ok, ComplainantContact? Contact) ValidateComplainant(ComplainantInput? input, Action<string, string> add)
    {
        if (input is null)
        {
            add("complainant", "Required: {name, email, phone} or {anonymous: true}.");
            return (false, null);
        }
        var hasDetails = input.Name is not null || input.Email is not null || input.Phone is not null;
        if (input.Anonymous == true)
        {
            if (hasDetails)
                add("complainant", "An anonymous complainant gives no name, e-mail or phone.");
            return (!hasDetails, null);
        }

        var ok = true;
        var name = input.Name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            add("complainant.name", "Required unless the complainant is anonymous ({anonymous: true}).");
            ok = false;
        }
        else if (name.Length > MaxNameLength)
        {
            add("complainant.name", $"At most {MaxNameLength} characters.");
            ok = false;
        }
        else if (!CheckText("complainant.name", name, add, allowLineBreaks: false))
            ok = false;

        string? email = null;
        if (!string.IsNullOrWhiteSpace(input.Email))
        {
            email = input.Email.Trim();
            if (!IsEmail(email))
            {
                add("complainant.email", "Not a valid e-mail address.");
                ok = false;
            }
        }

        string? phone = null;
        if (!string.IsNullOrWhiteSpace(input.Phone))
        {
            phone = NormalizePhone(input.Phone);
            if (phone is null)
            {
                add("complainant.phone", "Not a valid phone number; use international form, e.g. +15555550123.");
                ok = false;
            }
        }

        if (email is null && phone is null && string.IsNullOrWhiteSpace(input.Email) && string.IsNullOrWhiteSpace(input.Phone))
        {
            add("complainant", "Give an e-mail address or a phone number, so the department can reach the complainant.");
            ok = false;
        }
        return ok ? (true, new ComplainantContact { Name = name, Email = email, Phone = phone }) : (false, null);
    }

    private static bool IsEmail(string value) =>
        value.Length <= 254
        && MailAddress.TryCreate(value, out var address)
        && address.Address == value
        && string.IsNullOrEmpty(address.DisplayName)
        && address.Host.Contains('.')
        && !value.Any(char.IsWhiteSpace);

    /// <summary>E.164-ish: optional +, then 7 to 15 digits; spaces, dots, hyphens and parentheses are dropped.</summary>
    public static string? NormalizePhone(string value)
    {
        var compact = PhoneSeparators().Replace(value.Trim(), "");
        return PhoneFormat().IsMatch(compact) ? compact : null;
    }

    /// <summary>
    /// PostgreSQL text cannot hold NUL, and a lone UTF-16 surrogate cannot be encoded as UTF-8:
    /// both would fail at insert time, so they are refused here, by field.
    /// </summary>
    private static bool CheckText(string field, string value, Action<string, string> add, bool allowLineBreaks)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
            {
                add(field, "Contains an unpaired UTF-16 surrogate; send valid Unicode text.");
                return false;
            }
            if (char.IsControl(c) && !(c == '\t' || (allowLineBreaks && c is '\n' or '\r')))
            {
                add(field, "Contains a control character.");
                return false;
            }
        }
        return true;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9-]{0,9}$")]
    private static partial Regex BadgeFormat();

    [GeneratedRegex(@"^\+?[1-9][0-9]{6,14}$")]
    private static partial Regex PhoneFormat();

    [GeneratedRegex(@"[\s().-]")]
    private static partial Regex PhoneSeparators();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex ZonedTimestamp();
}
