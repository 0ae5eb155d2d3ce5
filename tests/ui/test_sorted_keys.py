"""The sorted-key helper both queue models keep their row order with (Qt-free)."""

import random

from console.ui.sorted_keys import Move, plan_move, splice


def test_a_key_that_sorts_later_moves_down_to_before_its_new_neighbour():
    keys = [10, 20, 30, 40]
    move = plan_move(keys, 20, 35)
    assert (move.src, move.dest, move.to, move.in_place) == (1, 3, 2, False)
    move.apply(keys, 35)
    assert keys == [10, 30, 35, 40]


def test_a_key_that_sorts_earlier_moves_up():
    keys = [10, 20, 30, 40]
    move = plan_move(keys, 40, 15)
    assert (move.src, move.dest, move.to, move.in_place) == (3, 1, 1, False)
    move.apply(keys, 15)
    assert keys == [10, 15, 20, 30]


def test_a_key_that_stays_between_the_same_neighbours_is_replaced_in_place():
    for new in (21, 29, 20):
        keys = [10, 20, 30]
        move = plan_move(keys, 20, new)
        assert move.in_place and move.to == 1
        move.apply(keys, new)
        assert keys == [10, new, 30]


def test_qt_destination_rows_follow_begin_move_rows_rules():
    # beginMoveRows refuses a destination of src or src + 1: those are the in-place cases
    assert Move(4, 4).in_place and Move(4, 5).in_place
    assert not Move(4, 6).in_place and not Move(4, 3).in_place
    assert Move(4, 6).to == 5 and Move(4, 0).to == 0


def test_splice_drops_positions_and_merges_new_keys_in_order():
    assert splice([1, 3, 5, 7], [0, 2], [4, 8, 0]) == [0, 3, 4, 7, 8]
    assert splice([1, 3], [], []) == [1, 3]
    assert splice([], [], [2, 1]) == [1, 2]


def test_random_moves_and_splices_keep_the_list_sorted_and_complete():
    rng = random.Random(7)
    keys = sorted(rng.sample(range(10_000), 200))
    for _ in range(500):
        old = rng.choice(keys)
        new = rng.randrange(10_000)
        if new in keys:
            continue
        plan_move(keys, old, new).apply(keys, new)
        assert keys == sorted(keys)
    drop = rng.sample(range(len(keys)), 30)
    add = [k for k in rng.sample(range(10_000, 20_000), 30)]
    expected = sorted([k for i, k in enumerate(keys) if i not in set(drop)] + add)
    assert splice(keys, drop, add) == expected
