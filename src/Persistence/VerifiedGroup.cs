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

    public DateTimeOffset VerifiedAt { get; init; }

    /// <summary>
    /// Records <paramref name="groupId"/> as verified by <paramref name="sessionId"/>; a group already known stays as it
    /// was. An id longer than any command may carry is not recorded (no submission could name it).
    /// </summary>
    public static Task RecordAsync(AvatarDbContext db, string groupId, Guid sessionId, CancellationToken cancellationToken) =>
        groupId.Length > MaxIdLength ? Task.CompletedTask : db.Database.ExecuteSqlAsync(
            $"""INSERT INTO avatar.verified_groups ("GroupId", "SessionId", "VerifiedAt") VALUES ({groupId}, {sessionId}, now()) ON CONFLICT ("GroupId") DO NOTHING""",
            cancellationToken);

    private static readonly Func<AvatarDbContext, string, CancellationToken, Task<bool>> IsKnown =
        EF.CompileAsyncQuery((AvatarDbContext db, string groupId, CancellationToken _) => db.VerifiedGroups.Any(g => g.GroupId == groupId));

    /// <summary>Whether <paramref name="groupId"/> was verified; every submission asks, so the query is compiled once.</summary>
    public static Task<bool> IsKnownAsync(AvatarDbContext db, string groupId, CancellationToken cancellationToken) =>
        IsKnown(db, groupId, cancellationToken);

    internal static void Map(EntityTypeBuilder<VerifiedGroup> builder)
    {
        builder.ToTable("verified_groups");
        builder.HasKey(x => x.GroupId);
        builder.Property(x => x.GroupId).HasMaxLength(MaxIdLength);
    }
}
