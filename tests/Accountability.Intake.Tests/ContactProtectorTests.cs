using System.Security.Cryptography;
using Accountability.ServiceDefaults.Privacy;
using Xunit;

namespace Accountability.Intake.Tests;

public sealed class ContactProtectorTests
{
    private static readonly ComplainantContact Contact = new() { Name = "Dana Whitfield", Email = "dana.whitfield@example.org", Phone = "+15555550123" };

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static ContactProtector Protector(string active, params (string Id, string Key)[] keys) =>
        new(new PrivacyOptions { ActiveKeyId = active, Keys = keys.ToDictionary(k => k.Id, k => k.Key) });

    [Fact]
    public void A_sealed_contact_opens_to_the_same_details_and_its_ciphertext_holds_no_plaintext()
    {
        var protector = Protector("k1", ("k1", NewKey()));
        var sealedValue = protector.Seal(Contact);

        Assert.Equal("k1", sealedValue.KeyId);
        var bytes = Convert.FromBase64String(sealedValue.Ciphertext);
        Assert.True(bytes.Length >= 12 + 16 + 1);
        Assert.DoesNotContain("dana", System.Text.Encoding.UTF8.GetString(bytes), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(Contact, protector.Unseal(sealedValue.KeyId, sealedValue.Ciphertext));
    }

    [Fact]
    public void Sealing_twice_gives_different_ciphertexts_because_every_nonce_is_fresh()
    {
        var protector = Protector("k1", ("k1", NewKey()));
        Assert.NotEqual(protector.Seal(Contact).Ciphertext, protector.Seal(Contact).Ciphertext);
    }

    [Fact]
    public void A_tampered_ciphertext_is_refused_without_revealing_any_plaintext()
    {
        var protector = Protector("k1", ("k1", NewKey()));
        var bytes = Convert.FromBase64String(protector.Seal(Contact).Ciphertext);
        bytes[20] ^= 0x01;

        var error = Assert.Throws<ContactProtectionException>(() => protector.Unseal("k1", Convert.ToBase64String(bytes)));
        Assert.Contains("integrity", error.Message);
        Assert.DoesNotContain("dana", error.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_ciphertext_relabelled_with_another_key_id_fails_because_the_key_id_is_authenticated()
    {
        var key = NewKey();
        var protector = Protector("k1", ("k1", key), ("k2", key));
        var sealedValue = protector.Seal(Contact);
        Assert.Throws<ContactProtectionException>(() => protector.Unseal("k2", sealedValue.Ciphertext));
    }

    [Fact]
    public void An_unknown_key_id_is_refused_with_a_message_naming_the_setting()
    {
        var protector = Protector("k1", ("k1", NewKey()));
        var error = Assert.Throws<ContactProtectionException>(() => protector.Unseal("retired", protector.Seal(Contact).Ciphertext));
        Assert.Contains("Privacy:Keys:retired", error.Message);
    }

    [Fact]
    public void After_rotation_new_contacts_use_the_new_key_and_old_ones_still_open()
    {
        var oldKey = NewKey();
        var before = Protector("2024", ("2024", oldKey));
        var sealedBefore = before.Seal(Contact);

        var after = Protector("2025", ("2024", oldKey), ("2025", NewKey()));
        var sealedAfter = after.Seal(Contact);

        Assert.Equal("2025", sealedAfter.KeyId);
        Assert.Equal(Contact, after.Unseal(sealedBefore.KeyId, sealedBefore.Ciphertext));
        Assert.Equal(Contact, after.Unseal(sealedAfter.KeyId, sealedAfter.Ciphertext));
        Assert.Throws<ContactProtectionException>(() => before.Unseal(sealedAfter.KeyId, sealedAfter.Ciphertext));
    }

    [Theory]
    [InlineData("José  O'Brien-Díaz", "diaz jose obrien")]
    [InlineData("DIAZ, Jose OBrien", "diaz jose obrien")]
    [InlineData("  Pat\tRivera ", "pat rivera")]
    [InlineData("!!! --", null)]
    [InlineData("", null)]
    public void A_name_is_compared_without_accents_case_punctuation_or_word_order(string name, string? expected)
    {
        // The apostrophe joins (O'Brien is obrien); a hyphen or a space separates.
        Assert.Equal(expected, ContactProtector.NormalizeName(name));
    }

    [Fact]
    public void The_name_index_matches_the_same_name_written_differently_only_under_the_same_key_and_is_found_after_rotation()
    {
        var oldKey = NewKey();
        var before = Protector("2024", ("2024", oldKey));
        var indexed = before.NameIndex("Dana Whitfield")!.Value;

        var after = Protector("2025", ("2024", oldKey), ("2025", NewKey()));

        Assert.Equal("2024", indexed.KeyId);
        Assert.Equal(32, indexed.Index.Length);
        Assert.Contains(after.NameIndexes("whitfield, DANA"), i => i.KeyId == "2024" && i.Index.AsSpan().SequenceEqual(indexed.Index));
        Assert.False(after.NameIndex("Dana Whitfield")!.Value.Index.AsSpan().SequenceEqual(indexed.Index));
        Assert.False(before.NameIndex("Dana Whitfeld")!.Value.Index.AsSpan().SequenceEqual(indexed.Index));
        Assert.Null(before.NameIndex("  "));
    }

    [Fact]
    public void A_missing_active_key_id_stops_the_start_with_the_setting_named()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ContactProtector(new PrivacyOptions()));
        Assert.Contains("Privacy:ActiveKeyId", error.Message);
    }

    [Fact]
    public void A_short_key_stops_the_start_with_the_setting_named()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            Protector("k1", ("k1", Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)))));
        Assert.Contains("Privacy:Keys:k1", error.Message);
        Assert.Contains("32", error.Message);
    }

    [Fact]
    public void An_active_key_id_without_a_key_stops_the_start_with_the_setting_named()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Protector("k2", ("k1", NewKey())));
        Assert.Contains("Privacy:Keys:k2", error.Message);
    }

    [Fact]
    public void A_contact_never_prints_its_details()
    {
        Assert.DoesNotContain("dana", Contact.ToString(), StringComparison.OrdinalIgnoreCase);
    }
}
