"""The tutorial's supermarket example: 10 jin of rice at 2.6 and 10 jin of flour at 2.4.

Forward: total = rice · rice_num + flour · flour_num = 50.
Backward from dtotal = 1: the "+" node passes 1 to both products, and each "×" node multiplies
it by the *other* input, so drice = 10, drice_num = 2.6, dflour = 10, dflour_num = 2.4.

Run with ``python -m layers.supermarket``.
"""

from layers.basic import AddLayer, MulLayer


def run(rice=2.6, rice_num=10, flour=2.4, flour_num=10):
    """Forward and backward through the graph; returns the total and every gradient."""
    rice_layer = MulLayer()
    flour_layer = MulLayer()
    add_rice_flour_layer = AddLayer()

    # forward
    rice_price = rice_layer.forward(rice, rice_num)
    flour_price = flour_layer.forward(flour, flour_num)
    total = add_rice_flour_layer.forward(rice_price, flour_price)

    # backward
    dtotal = 1
    drice_price, dflour_price = add_rice_flour_layer.backward(dtotal)
    drice, drice_num = rice_layer.backward(drice_price)
    dflour, dflour_num = flour_layer.backward(dflour_price)  # seed bug: reused dflour_price

    return {
        "values": {
            "rice": rice,
            "rice_num": rice_num,
            "flour": flour,
            "flour_num": flour_num,
            "rice_price": rice_price,
            "flour_price": flour_price,
            "total": total,
        },
        "grads": {
            "rice": drice,
            "rice_num": drice_num,
            "flour": dflour,
            "flour_num": dflour_num,
            "rice_price": drice_price,
            "flour_price": dflour_price,
            "total": dtotal,
        },
    }


def fmt(v):
    """A float rounded for printing: 50.00000000000001 -> '50', 2.6 -> '2.6'."""
    return f"{round(float(v), 9):g}"


def main():
    r = run()
    vals, grads = r["values"], r["grads"]
    print("Supermarket: 10 jin of rice at 2.6 + 10 jin of flour at 2.4")
    print(f"total = {fmt(vals['total'])}")
    print()
    print(f"{'input':<10} {'value':>7} {'dtotal/dinput':>14}")
    print(f"{'-' * 10} {'-' * 7} {'-' * 14}")
    for name in ("rice", "rice_num", "flour", "flour_num"):
        print(f"{name:<10} {fmt(vals[name]):>7} {fmt(grads[name]):>14}")


if __name__ == "__main__":
    main()
