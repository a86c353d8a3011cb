using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Avatar.Persistence.Configurations;

internal sealed class AvatarSessionConfiguration : IEntityTypeConfiguration<AvatarSession>
{
    public void Configure(EntityTypeBuilder<AvatarSession> builder)
    {
        builder.ToTable("sessions");
        builder.HasKey(x => x.Id);
        builder.Property(x => x.Id).ValueGeneratedNever();
        builder.Property(x => x.CallbackUrl).HasMaxLength(2048);
        builder.Property(x => x.ProjectName).HasMaxLength(128);
        builder.Property(x => x.Owner).HasMaxLength(Owners.MaxLength);
        builder.Property(x => x.State).HasConversion<string>().HasMaxLength(32);
        builder.Property(x => x.CreateTaskId).HasMaxLength(256);
        builder.Property(x => x.H5Link).HasMaxLength(FlowColumns.Link);
        builder.Property(x => x.BytedToken).HasMaxLength(4096);
        builder.Property(x => x.VerificationTaskId).HasMaxLength(256);
        builder.Property(x => x.GroupId).HasMaxLength(FlowColumns.GroupId);
        builder.Property(x => x.ErrorCode).HasMaxLength(FlowColumns.ErrorCode);
        builder.Property(x => x.ErrorReason).HasMaxLength(FlowColumns.ErrorReason);
        builder.Property(x => x.CommandFingerprint).HasMaxLength(64);
        PollSchedule.Map(builder);
    }
}
