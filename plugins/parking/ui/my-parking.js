export default function mount(){}
