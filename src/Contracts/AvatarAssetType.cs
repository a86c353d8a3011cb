namespace Avatar.Contracts;

public enum AvatarAssetType
{
    Video,
    Image,
}
