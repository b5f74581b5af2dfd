from app.build import engine_build


def test_healthz_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_checks_the_database_and_names_the_engine_build(client):
    expected = engine_build()
    assert expected in ("mypyc", "python")
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok", "engine_build": expected}


def test_the_engine_build_is_judged_from_the_loaded_modules():
    from app.compliance import facts
    from app.rules.engine import evaluation

    files = {facts.__file__, evaluation.__file__}
    assert all(f.endswith(".so") for f in files) if engine_build() == "mypyc" else all(f.endswith(".py") for f in files)


def test_readyz_is_503_when_the_database_is_unreachable(app, client, tmp_path):
    from sqlalchemy import create_engine

    app.state.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
    assert response.json()["engine_build"] == engine_build()
