using System.Security.Cryptography;
using Avatar.Worker.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Avatar.Worker.Tests;

/// <summary>How a byted token is sealed at rest: only its own session opens it, with a configured key, and keys rotate.</summary>
public sealed class TokenProtectorTests
{
    private const string Token = "byted-token-7f3a9c";
    private static readonly Guid Session = Guid.NewGuid();
    private static readonly string OldKey = NewKey();
    private static readonly string NewKeyLine = NewKey();

    [Fact]
    public void A_sealed_token_opens_for_its_session_and_never_shows_in_the_stored_form()
    {
        var protector = new TokenProtector(OldKey);

        var stored = protector.Protect(Session, Token);

        Assert.StartsWith($"v1:{protector.CurrentKeyId}:", stored);
        Assert.DoesNotContain(Token, stored);
        Assert.NotEqual(stored, protector.Protect(Session, Token));
        Assert.True(protector.TryUnprotect(Session, stored, out var opened, out _));
        Assert.Equal(Token, opened);
    }

    [Fact]
    public void A_sealed_token_copied_to_another_session_or_altered_does_not_open()
    {
        var protector = new TokenProtector(OldKey);
        var stored = protector.Protect(Session, Token);
        var altered = stored[..^6] + (stored[^6] == 'A' ? 'B' : 'A') + stored[^5..];

        Assert.False(protector.TryUnprotect(Guid.NewGuid(), stored, out _, out var problem));
        Assert.Contains("copied from another row", problem);
        Assert.False(protector.TryUnprotect(Session, altered, out _, out _));
    }

    [Fact]
    public void After_rotation_new_tokens_use_the_new_key_and_old_ones_open_until_their_key_is_dropped()
    {
        var before = new TokenProtector(OldKey);
        var storedBefore = before.Protect(Session, Token);
        var rotated = new TokenProtector($"{NewKeyLine}\n{OldKey}\n");

        Assert.True(rotated.TryUnprotect(Session, storedBefore, out var opened, out _));
        Assert.Equal(Token, opened);
        Assert.StartsWith($"v1:{rotated.CurrentKeyId}:", rotated.Protect(Session, Token));
        Assert.NotEqual(before.CurrentKeyId, rotated.CurrentKeyId);

        var oldKeyDropped = new TokenProtector(NewKeyLine);
        Assert.False(oldKeyDropped.TryUnprotect(Session, storedBefore, out _, out var problem));
        Assert.Contains($"sealed with key {before.CurrentKeyId}, which is not among the configured token keys", problem);
    }

    [Fact]
    public void A_token_stored_in_clear_before_encryption_no_longer_opens()
    {
        Assert.False(new TokenProtector(OldKey).TryUnprotect(Session, Token, out var opened, out var problem));
        Assert.Equal("", opened);
        Assert.Equal("the stored byted token is not sealed (stored in clear by an old version, or altered)", problem);
        Assert.DoesNotContain(Token, problem);
    }

    [Theory]
    [InlineData(null, "Avatar:TokenEncryption:Keys is not set")]
    [InlineData("# only a comment\n", "Avatar:TokenEncryption:Keys is not set")]
    [InlineData("c2hvcnQ=", "Avatar:TokenEncryption:Keys: the key on line 1 is not 32 bytes in base64")]
    [InlineData("KEY\nnot base64 at all!", "the key on line 2 is not 32 bytes in base64")]
    public void Missing_or_malformed_keys_stop_the_start_with_a_reason_that_never_quotes_a_key(string? keys, string reason)
    {
        keys = keys?.Replace("KEY", OldKey, StringComparison.Ordinal);

        var refused = Assert.Throws<OptionsValidationException>(() => Options(new() { ["Avatar:TokenEncryption:Keys"] = keys }));

        Assert.Contains(reason, refused.Message);
        Assert.DoesNotContain(OldKey, refused.Message);
        Assert.DoesNotContain("c2hvcnQ", refused.Message);
    }

    [Fact]
    public void The_key_file_wins_over_the_environment()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, NewKeyLine + "\n");

            var options = Options(new() { ["Avatar:TokenEncryption:Keys"] = OldKey, ["Avatar:TokenEncryption:KeysFile"] = file });

            Assert.Equal(NewKeyLine, options.Keys);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static TokenEncryptionOptions Options(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddTokenEncryption();
        return services.BuildServiceProvider().GetRequiredService<IOptions<TokenEncryptionOptions>>().Value;
    }
}
