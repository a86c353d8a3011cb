using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Avatar.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Owners : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Owner",
                schema: "avatar",
                table: "verified_groups",
                type: "character varying(255)",
                maxLength: 255,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Owner",
                schema: "avatar",
                table: "submissions",
                type: "character varying(255)",
                maxLength: 255,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Owner",
                schema: "avatar",
                table: "sessions",
                type: "character varying(255)",
                maxLength: 255,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Owner",
                schema: "avatar",
                table: "verified_groups");

            migrationBuilder.DropColumn(
                name: "Owner",
                schema: "avatar",
                table: "submissions");

            migrationBuilder.DropColumn(
                name: "Owner",
                schema: "avatar",
                table: "sessions");
        }
    }
}
