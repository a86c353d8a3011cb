namespace Avatar.Contracts;

public record AvatarAssetSource(string Url, string Name);
