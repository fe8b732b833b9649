using Npgsql;
using OrleansShare.Silo.Storage;

namespace OrleansShare.Tests.Unit;

public sealed class DatabaseDefaultsTests
{
    [Fact]
    public async Task APostgreSqlConnectionStringGetsThePoolAndPreparationDefaults()
    {
        await using var database = Database.ForPostgreSql("Host=db.example;Database=orleansshare;Username=app", "svc");

        var settings = new NpgsqlConnectionStringBuilder(database.ConnectionString);

        Assert.Equal(Database.DefaultMaxPoolSize, settings.MaxPoolSize);
        Assert.Equal(Database.DefaultMaxAutoPrepare, settings.MaxAutoPrepare);
        Assert.True(settings.NoResetOnClose);
        Assert.Equal("db.example", settings.Host);
    }

    [Fact]
    public async Task WhatTheConnectionStringSaysWins()
    {
        await using var database = Database.ForPostgreSql(
            "Host=db.example;Database=orleansshare;Maximum Pool Size=50;Max Auto Prepare=0;No Reset On Close=false", "svc");

        var settings = new NpgsqlConnectionStringBuilder(database.ConnectionString);

        Assert.Equal((50, 0, false), (settings.MaxPoolSize, settings.MaxAutoPrepare, settings.NoResetOnClose));
    }
}
