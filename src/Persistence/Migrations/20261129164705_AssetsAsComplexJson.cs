using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Avatar.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AssetsAsComplexJson : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The asset lists become EF complex collections (EF 10's JSON mapping) instead of owned entities: the same jsonb
            // arrays, no longer null (the provider sets a null one to the default first). EF scaffolds "{}" as their default
            // (dotnet/efcore#37965); an empty list is "[]".
            migrationBuilder.AlterColumn<string>(
                name: "UsableAssets",
                schema: "avatar",
                table: "submissions",
                type: "jsonb",
                nullable: false,
                defaultValue: "[]",
                oldClrType: typeof(string),
                oldType: "jsonb",
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "FailedAssets",
                schema: "avatar",
                table: "submissions",
                type: "jsonb",
                nullable: false,
                defaultValue: "[]",
                oldClrType: typeof(string),
                oldType: "jsonb",
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "Assets",
                schema: "avatar",
                table: "submissions",
                type: "jsonb",
                nullable: false,
                defaultValue: "[]",
                oldClrType: typeof(string),
                oldType: "jsonb",
                oldNullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "UsableAssets",
                schema: "avatar",
                table: "submissions",
                type: "jsonb",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "jsonb");

            migrationBuilder.AlterColumn<string>(
                name: "FailedAssets",
                schema: "avatar",
                table: "submissions",
                type: "jsonb",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "jsonb");

            migrationBuilder.AlterColumn<string>(
                name: "Assets",
                schema: "avatar",
                table: "submissions",
                type: "jsonb",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "jsonb");
        }
    }
}
