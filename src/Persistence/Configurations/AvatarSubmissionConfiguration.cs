using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Avatar.Persistence.Configurations;

internal sealed class AvatarSubmissionConfiguration : IEntityTypeConfiguration<AvatarSubmission>
{
    public void Configure(EntityTypeBuilder<AvatarSubmission> builder)
    {
        builder.ToTable("submissions");
        builder.HasKey(x => x.Id);
        builder.Property(x => x.Id).ValueGeneratedNever();
        builder.Property(x => x.GroupId).HasMaxLength(FlowColumns.GroupId);
        builder.Property(x => x.ProjectName).HasMaxLength(128);
        builder.Property(x => x.Owner).HasMaxLength(Owners.MaxLength);
        builder.Property(x => x.AssetType).HasConversion<string>().HasMaxLength(16);
        builder.Property(x => x.State).HasConversion<string>().HasMaxLength(32);
        builder.Property(x => x.TaskId).HasMaxLength(256);
        builder.Property(x => x.TaskStatus).HasMaxLength(64);
        builder.Property(x => x.ErrorCode).HasMaxLength(FlowColumns.ErrorCode);
        builder.Property(x => x.ErrorReason).HasMaxLength(FlowColumns.ErrorReason);
        builder.ComplexCollection(x => x.Assets, a => a.ToJson("Assets"));
        builder.ComplexCollection(x => x.UsableAssets, a => a.ToJson("UsableAssets"));
        builder.ComplexCollection(x => x.FailedAssets, a => a.ToJson("FailedAssets"));
        builder.Property(x => x.CommandFingerprint).HasMaxLength(64);
        PollSchedule.Map(builder);
    }
}
