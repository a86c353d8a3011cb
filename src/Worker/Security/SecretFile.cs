namespace Avatar.Worker.Security;

/// <summary>
/// Secrets from files, as Docker and Kubernetes mount them (<c>/run/secrets/…</c>): a setting <c>XFile</c> names the
/// file whose content is the secret <c>X</c>. The file wins over the plain setting, so a secret never has to sit in
/// the environment.
/// </summary>
public static class SecretFile
{
    /// <summary>The secret in <paramref name="path"/> (surrounding whitespace and the final newline trimmed), or <paramref name="fallback"/> when no file is named.</summary>
    public static string Read(string? path, string fallback, string setting)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return fallback;
        }

        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The path is not a secret; the content is never read into the message.
            throw new InvalidOperationException($"{setting} names {path}, which cannot be read: {exception.GetType().Name}", exception);
        }
    }
}
