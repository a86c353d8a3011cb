using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Avatar.Persistence;

/// <summary>
/// An asset group a session of this worker verified. Only these groups may receive <c>SubmitAvatarAssets</c> (unless
/// <c>Avatar:AcceptUnknownGroups</c>), so a publisher on the bus cannot attach media to a person it never verified.
/// Kept when retention deletes the session: a person verified once may submit new material for months.
/// </summary>
public sealed class VerifiedGroup
{
    public const int MaxIdLength = 256;

    public required string GroupId { get; init; }

    /// <summary>The session that verified it (first, if several did).</summary>
    public Guid SessionId { get; init; }

    /// <summary>That session's owner, the only caller that may submit to the group (null: any caller).</summary>
    public string? Owner { get; init; }

    public DateTimeOffset VerifiedAt { get; init; }

    /// <summary>
    /// Records <paramref name="groupId"/> as verified by <paramref name="sessionId"/> of <paramref name="owner"/>; a group
    /// already known stays as it was. An id longer than any command may carry is not recorded (no submission could name it).
    /// </summary>
    public static Task RecordAsync(AvatarDbContext db, string groupId, Guid sessionId, string? owner, CancellationToken cancellationToken) =>
        groupId.Length > MaxIdLength ? Task.CompletedTask : db.Database.ExecuteSqlAsync(
            $"""INSERT INTO avatar.verified_groups ("GroupId", "SessionId", "Owner", "VerifiedAt") VALUES ({groupId}, {sessionId}, {owner}, now()) ON CONFLICT ("GroupId") DO NOTHING""",
            cancellationToken);

    private static readonly Func<AvatarDbContext, string, CancellationToken, Task<VerifiedGroup?>> Find =
        EF.CompileAsyncQuery((AvatarDbContext db, string groupId, CancellationToken _) => db.VerifiedGroups.AsNoTracking().FirstOrDefault(g => g.GroupId == groupId));

    /// <summary>The group <paramref name="groupId"/>, if a session verified it; every submission asks, so the query is compiled once.</summary>
    public static Task<VerifiedGroup?> FindAsync(AvatarDbContext db, string groupId, CancellationToken cancellationToken) =>
        Find(db, groupId, cancellationToken);

    internal static void Map(EntityTypeBuilder<VerifiedGroup> builder)
    {
        builder.ToTable("verified_groups");
        builder.HasKey(x => x.GroupId);
        builder.Property(x => x.GroupId).HasMaxLength(MaxIdLength);
        builder.Property(x => x.Owner).HasMaxLength(Owners.MaxLength);
    }
}
