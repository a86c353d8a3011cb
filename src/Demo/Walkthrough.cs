using Avatar.Contracts;
using MassTransit;

namespace Avatar.Demo;

/// <summary>One session and two submissions, end to end, printed as they happen, and one status request while they run.</summary>
public sealed class Walkthrough(IBus bus, IRequestClient<GetAvatarStatus> status, EventWaiter events, TextWriter output)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(3);

    /// <param name="completeH5">Plays the person on the H5 page; null means a real person does it.</param>
    public async Task<int> RunAsync(Func<string, Task<string>>? completeH5)
    {
        var sessionId = Guid.NewGuid();
        output.WriteLine($"1. CreateAvatarSession {sessionId}");
        await bus.Publish(new CreateAvatarSession(sessionId, $"https://caller.example/avatar/callback/{sessionId}", null));
        if (await events.WaitAsync(sessionId, Phase.Session, StepTimeout) is not AvatarSessionCreated created)
        {
            return Fail("session", await events.WaitAsync(sessionId, Phase.Session, TimeSpan.Zero));
        }

        output.WriteLine($"   H5 link:  {created.H5Link}");
        output.WriteLine($"   expires:  {created.ExpiresAt:O}");

        if (completeH5 is null)
        {
            output.WriteLine("   Open the link on a phone, pass the verification, then press Enter.");
            Console.ReadLine();
        }
        else
        {
            var callback = await completeH5(created.H5Link);
            output.WriteLine($"   the person passed the H5 page (simulated); browser sent to {callback.Split("bytedToken=")[0]}…");
        }

        output.WriteLine($"2. AvatarAuthCompleted {sessionId}");
        await bus.Publish(new AvatarAuthCompleted(sessionId));
        if (await events.WaitAsync(sessionId, Phase.Verification, StepTimeout) is not AvatarAuthVerified verified)
        {
            return Fail("verification", await events.WaitAsync(sessionId, Phase.Verification, TimeSpan.Zero));
        }

        output.WriteLine($"   group id: {verified.GroupId}");

        var approvedRun = new SubmitAvatarAssets(Guid.NewGuid(), verified.GroupId,
        [
            new AvatarAssetSource("https://cdn.example.com/avatars/front.mp4", "front"),
            new AvatarAssetSource("https://cdn.example.com/avatars/smile.mp4", "smile"),
        ]);
        var partialRun = new SubmitAvatarAssets(Guid.NewGuid(), verified.GroupId,
        [
            new AvatarAssetSource("https://cdn.example.com/avatars/profile.mp4", "profile"),
            new AvatarAssetSource("https://cdn.example.com/avatars/blurry-reject.mp4", "blurry-reject"),
        ]);

        output.WriteLine($"3. SubmitAvatarAssets {approvedRun.SubmissionId} (front, smile)");
        output.WriteLine($"   SubmitAvatarAssets {partialRun.SubmissionId} (profile, blurry-reject)");
        await Task.WhenAll(bus.Publish(approvedRun), bus.Publish(partialRun));

        // While the reviews run: where does the first stand? (A caller that lost an event asks the same way.)
        await Task.Delay(TimeSpan.FromSeconds(2));
        var asked = await status.GetResponse<AvatarStatus, AvatarStatusNotFound>(new GetAvatarStatus(approvedRun.SubmissionId));
        output.WriteLine(asked.Is(out Response<AvatarStatus>? answer)
            ? $"   GetAvatarStatus {approvedRun.SubmissionId}: {answer.Message.State}, progress {answer.Message.Progress?.ToString() ?? "-"}, " +
              $"next check {answer.Message.NextCheckAt?.ToString("HH:mm:ss.f") ?? "-"}, expected end {answer.Message.ExpectedEndAt?.ToString("HH:mm:ss.f") ?? "-"}"
            : $"   GetAvatarStatus {approvedRun.SubmissionId}: not found");

        var outcomes = await Task.WhenAll(
            events.WaitAsync(approvedRun.SubmissionId, Phase.Review, StepTimeout),
            events.WaitAsync(partialRun.SubmissionId, Phase.Review, StepTimeout));
        foreach (var outcome in outcomes)
        {
            Print(outcome);
        }

        return outcomes[0] is AvatarAssetsApproved && outcomes[1] is AvatarAssetsRejected { UsableAssets.Count: > 0 } ? 0 : 1;
    }

    private void Print(object outcome)
    {
        switch (outcome)
        {
            case AvatarAssetsApproved approved:
                output.WriteLine($"4. AvatarAssetsApproved {approved.SubmissionId}");
                foreach (var asset in approved.Assets)
                {
                    output.WriteLine($"   {asset.Name,-14} {asset.AssetUrl}  {asset.Status}");
                }

                break;
            case AvatarAssetsRejected rejected:
                output.WriteLine($"4. AvatarAssetsRejected {rejected.SubmissionId} ({rejected.ErrorCode}: {rejected.Reason})");
                foreach (var asset in rejected.UsableAssets)
                {
                    output.WriteLine($"   usable  {asset.Name,-14} {asset.AssetUrl}  {asset.Status}");
                }

                foreach (var asset in rejected.FailedAssets)
                {
                    output.WriteLine($"   failed  {asset.Name,-14} {asset.AssetUrl}  {asset.Status}");
                }

                break;
        }
    }

    private int Fail(string step, object outcome)
    {
        output.WriteLine($"   {step} failed: {outcome}");
        return 1;
    }
}
