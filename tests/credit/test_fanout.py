"""Line ids fan out in chunks of one size, everywhere (nightly run, staff request, command)."""

from credit.fanout import chunk_size, chunked


def test_ids_are_cut_into_chunks_of_the_configured_size(settings):
    settings.CREDIT_REEVALUATION_CHUNK_SIZE = 2
    assert chunk_size() == 2
    assert list(chunked([1, 2, 3, 4, 5])) == [[1, 2], [3, 4], [5]]
    assert list(chunked(range(4), size=3)) == [[0, 1, 2], [3]]
    assert list(chunked([])) == []
