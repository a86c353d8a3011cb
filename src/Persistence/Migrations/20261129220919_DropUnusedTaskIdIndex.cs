using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Avatar.Persistence.Migrations
{
    /// <summary>
    /// Drops the index on a submission's xcompute task id: no statement of the worker or the admin tool looks a
    /// submission up by it, and every save of a submission moves its schedule, an indexed column, so each one wrote an
    /// entry into this index too (docs/benchmarks.md).
    /// </summary>
    public partial class DropUnusedTaskIdIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_submissions_TaskId",
                schema: "avatar",
                table: "submissions");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_submissions_TaskId",
                schema: "avatar",
                table: "submissions",
                column: "TaskId");
        }
    }
}
