def ids(response) -> set[int]:
    """The ids on one page of a paginated list response."""
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}
