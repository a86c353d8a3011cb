namespace Avatar.Contracts;

/// <summary>What kind of media a submission holds; all assets of one submission are of one kind.</summary>
public enum AvatarAssetType
{
    /// <summary>Video clips of the person (the default).</summary>
    Video,

    /// <summary>Photos of the person.</summary>
    Image,
}
