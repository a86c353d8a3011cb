using System.Text.Json;
using Avatar.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace Avatar.Admin;

/// <summary>What <c>show</c> prints: everything stored about one session or submission, except the byted token.</summary>
internal sealed class RowReport(IConfiguration configuration)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes the row; false when no session or submission has that id.</summary>
    public async Task<bool> WriteAsync(Guid id, TextWriter output, CancellationToken cancellationToken)
    {
        var connectionString = configuration.GetConnectionString(PersistenceServices.ConnectionStringName)
            ?? throw new InvalidOperationException("ConnectionStrings__Avatar is not set.");
        await using var db = AvatarDbContext.Open(connectionString);

        if (await db.Sessions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken) is { } session)
        {
            output.WriteLine($"session {id}");
            output.WriteLine(JsonSerializer.Serialize(
                new
                {
                    State = session.State.ToString(),
                    session.ProjectName,
                    session.CallbackUrl,
                    session.CreateTaskId,
                    session.H5Link,
                    BytedToken = session.BytedToken is null ? "(erased)" : "(held; never shown)",
                    session.ExpiresAt,
                    session.VerificationTaskId,
                    session.GroupId,
                    session.ErrorCode,
                    session.ErrorReason,
                    session.CreatedAt,
                    session.UpdatedAt,
                    session.Schedule,
                },
                Json));
            return true;
        }

        if (await db.Submissions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken) is { } submission)
        {
            output.WriteLine($"submission {id}");
            output.WriteLine(JsonSerializer.Serialize(
                new
                {
                    State = submission.State.ToString(),
                    submission.GroupId,
                    submission.ProjectName,
                    AssetType = submission.AssetType.ToString(),
                    submission.Assets,
                    submission.TaskId,
                    submission.TaskStatus,
                    submission.Progress,
                    submission.UsableAssets,
                    submission.FailedAssets,
                    submission.ErrorCode,
                    submission.ErrorReason,
                    submission.CreatedAt,
                    submission.SubmittedAt,
                    submission.CompletedAt,
                    submission.UpdatedAt,
                    submission.Schedule,
                },
                Json));
            return true;
        }

        output.WriteLine($"no session or submission {id}");
        return false;
    }
}
